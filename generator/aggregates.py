"""placeholder"""


def check_published(root):
    return []
