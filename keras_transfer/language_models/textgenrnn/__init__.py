"""textgenrnn 2.0.0's pretrained character-level LM (config, weights, model, loader)."""
