"""Print the project's requirements minus everything Qt, for the core-only test run."""

import tomllib
from pathlib import Path

QT = ("pyside6", "qasync", "pytest-qt", "shiboken6")
project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
deps = project["dependencies"] + project["optional-dependencies"]["dev"]
for dep in deps:
    if not dep.lower().startswith(QT):
        print(dep)
