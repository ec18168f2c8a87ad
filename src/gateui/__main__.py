from gateui.cli.entry import entry

entry()
