"""Training data: pair datasets and paired augmentations (numpy + OpenCV; no torch)."""
