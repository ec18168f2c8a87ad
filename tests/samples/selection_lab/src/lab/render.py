def render_string(template, **values):
    return template.format(**values)
