from transcripts.importers.base import FORMATS


class FormatLabel:
    @property
    def format_label(self) -> str:
        """What a person calls the file's format."""
        return FORMATS.get(self.format, self.format)
