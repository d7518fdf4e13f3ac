"""The outside world: ONNX export, the HTTP/WebSocket service and the browser demo."""
