"""requirements.txt: the writer, the strict reader of envsnap's own files, the any-file reader.

``write`` renders a snapshot (and reads back the files it wrote, strictly, on
``packaging`` alone); ``read_any`` reads a hand-written file through pip-api;
``lines`` is the line scanner both readers share (continuations, comments,
option lines, hashes, with line numbers).
"""
