"""requirements.txt: the writer and the one reader.

``write`` renders a snapshot; ``read`` reads any requirements file (a file
envsnap wrote, a fully pinned file of another tool, anything else through
pip-api) on ``lines``, the scanner (logical lines with ``FILE:LINE``, pip's
line grammar, includes), ``annotations`` (what the comments say) and
``origins`` (PEP 610 origins of direct URLs and ``-e`` lines).
"""
