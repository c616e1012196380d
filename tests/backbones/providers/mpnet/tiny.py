"""A tiny random MPNet checkpoint in the Hugging Face layout (for fast tests)."""

import numpy as np

TINY = {"vocab_size": 50, "hidden_dim": 16, "num_layers": 2, "num_heads": 4,
        "intermediate_dim": 32, "max_positions": 40}


def tiny_checkpoint(seed=0):
    """Returns `{tensor name: float32 array}` shaped like `model.safetensors`."""
    h, f = TINY["hidden_dim"], TINY["intermediate_dim"]
    shapes = {
        "embeddings.word_embeddings.weight": (TINY["vocab_size"], h),
        "embeddings.position_embeddings.weight": (TINY["max_positions"], h),
        "embeddings.LayerNorm.weight": (h,), "embeddings.LayerNorm.bias": (h,),
        "encoder.relative_attention_bias.weight": (32, TINY["num_heads"]),
        "pooler.dense.weight": (h, h), "pooler.dense.bias": (h,),
    }
    for i in range(TINY["num_layers"]):
        p = f"encoder.layer.{i}."
        for n in "qkvo":
            shapes[f"{p}attention.attn.{n}.weight"] = (h, h)
            shapes[f"{p}attention.attn.{n}.bias"] = (h,)
        shapes.update({
            p + "attention.LayerNorm.weight": (h,), p + "attention.LayerNorm.bias": (h,),
            p + "intermediate.dense.weight": (f, h), p + "intermediate.dense.bias": (f,),
            p + "output.dense.weight": (h, f), p + "output.dense.bias": (h,),
            p + "output.LayerNorm.weight": (h,), p + "output.LayerNorm.bias": (h,),
        })
    rng = np.random.default_rng(seed)
    return {k: rng.normal(size=s).astype("float32") for k, s in shapes.items()}
