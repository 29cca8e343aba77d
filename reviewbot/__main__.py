from reviewbot.cli import run

run()
