from importlib.metadata import PackageNotFoundError, version


def heatwatch_version() -> str:
    try:
        return version("heatwatch")
    except PackageNotFoundError:
        return "unknown"
