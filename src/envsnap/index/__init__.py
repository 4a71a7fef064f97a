"""The package index side: pip's settings, one HTTP client, Simple API pages, repositories.

- :mod:`~envsnap.index.settings`: the indexes pip would use (options, ``PIP_*``,
  pip's configuration, pip's built-in default);
- :mod:`~envsnap.index.http`: the one HTTP client (pooling, retries, bounds,
  credentials, redirects);
- :mod:`~envsnap.index.cache`: index pages kept and revalidated on disk;
- :mod:`~envsnap.index.simple_api`: PEP 691 JSON and PEP 503 HTML pages;
- :mod:`~envsnap.index.repository` (with :mod:`~envsnap.index.wheelhouse`
  and :mod:`~envsnap.index.simple_index`): where the files of a pinned
  version come from;
- :mod:`~envsnap.index.download`: fetching files into the file cache, verified;
- :mod:`~envsnap.index.distfile`: ``DistFile``, one file of a version (a
  wheel or sdist with its hashes and location), as every module here lists it.

Nothing here is imported at envsnap's start-up; each module loads on use.
"""
