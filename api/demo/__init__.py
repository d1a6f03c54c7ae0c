"""Demo data: real published figures plus synthetic microdata on the real region codes.

Everything here produces files that go through the data contracts and the one load pipeline
(``api.ingest.loader.load_file``), exactly like data from BPS or Kemensos would.
"""
