"""What the scrapers and the pipeline stages share: the knobs of params.yaml and each stage's settings,
the formats passed from stage to stage (the uniform script format, vocab.json, the windows), and
the model with its generator.

Imports run one way: `common` imports nothing of `scrapers`, `pipeline` or `app`; `scrapers` imports
`common`; `pipeline` imports both; `app` (the `scriptlm` command) imports all three.
"""
import os

# TensorFlow's C++ start-up chatter (oneDNN, CPU features, missing CUDA) hides the stages' own output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
