"""The review web app (``kehoach review``): every extracted fact beside its source, and corrections that last.

Modules: :mod:`.app` (routes), :mod:`.data` (what the pages read),
:mod:`.spans` (the highlighted text), :mod:`.forms` (form → corrections),
:mod:`.security` (token, host names, CSRF, headers), :mod:`.page_image`
(PDF pages as PNG), :mod:`.gold` (``export-gold``), :mod:`.cli` (commands).
"""
