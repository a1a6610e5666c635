"""The case file: entries owned by offices, hand-offs (releases), consents and the one who-reads-what rule."""
