"""requirements.txt: ``write`` renders a snapshot; ``read`` is the one reader of any file.

The reader stands on ``lines`` (the scanner), ``annotations`` (what the comments say),
``origins`` (PEP 610 origins of direct URLs and ``-e`` lines) and ``pip_api_parser``.
"""
