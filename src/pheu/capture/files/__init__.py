"""Reading CSV and Excel files that people export from other tools, row by row, into ``IncomingLead``.

Files arrive from Excel, HubSpot, Salesforce and Facebook Lead Ads in whatever encoding and delimiter the
exporting machine chose, so ``sniff`` guesses both from a sample, ``reader`` streams rows without loading the
file (imports can be millions of rows), and ``mapping`` turns each tool's column names into lead fields.
A row that cannot be read is still yielded, with its error, so intake can keep it as rejected.
"""

from __future__ import annotations

from pheu.capture.files.mapping import Mapping, suggest_mapping, to_incoming
from pheu.capture.files.reader import FileNotReadable, RawRow, Table, open_table

__all__ = ["FileNotReadable", "Mapping", "RawRow", "Table", "open_table", "suggest_mapping", "to_incoming"]
