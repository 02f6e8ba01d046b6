"""Readers import the Vietnamese syllable checks from here; they live in :mod:`models.syllables`, below every layer."""

from kehoach.models.syllables import diacritic_ratio, is_vietnamese_syllable, vietnamese_ratio

__all__ = ["diacritic_ratio", "is_vietnamese_syllable", "vietnamese_ratio"]
