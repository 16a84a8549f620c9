"""Shared test set-up: quiet TensorFlow, no DVC analytics, and the project root."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["DVC_NO_ANALYTICS"] = "1"

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT
