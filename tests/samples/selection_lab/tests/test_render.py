from lab.render import render_string


def test_render():
    assert render_string("<h1>{title}</h1>", title="x") == "<h1>x</h1>"
