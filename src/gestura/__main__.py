from gestura.cli import app

app(prog_name="gestura")
