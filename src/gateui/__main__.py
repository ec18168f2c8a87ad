from gateui.cli.main import entry

entry()
