from pheu.cli import app

app()
