"""Plain text broken into lines of a given width, for text drawn without Paragraph markup
(table cells, contents lines): measured once, never parsed."""

from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth


def wrapped_lines(text: str, font_name: str, font_size: float, width: float) -> list[str]:
    """text broken into lines no wider than width: at spaces, and inside words too long."""
    if "\n" not in text and stringWidth(text, font_name, font_size) <= width:
        return [text]
    lines: list[str] = []
    for line in simpleSplit(text, font_name, font_size, width):
        while stringWidth(line, font_name, font_size) > width:
            cut = longest_fitting_prefix(line, font_name, font_size, width)
            lines.append(line[:cut])
            line = line[cut:].lstrip(" ")
        lines.append(line)
    return lines


def longest_fitting_prefix(text: str, font_name: str, font_size: float, width: float) -> int:
    """The length of text's longest prefix that fits in width; at least one character."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if stringWidth(text[:middle], font_name, font_size) <= width:
            low = middle
        else:
            high = middle - 1
    return low
