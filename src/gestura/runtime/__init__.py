"""Live use: the embeddable Recognizer, engines, decisions, command dispatch, pointer tracking."""
