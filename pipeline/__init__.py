"""scriptlm's DVC stages (one module each) and the helpers they share."""
import os

# TensorFlow's C++ start-up chatter (oneDNN, CPU features, missing CUDA) hides the stages' own output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
