"""WeWall Bot: the domain package both the Rasa server and the action server import."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
