"""Vietnamese time expressions → partial-date intervals with their precision.

Plans schedule work as "trong tháng 02-3/2022", "Trung tuần tháng 3/2022",
"Quý III/2024", "6 tháng đầu năm", "trước ngày 30/10/2025", "đến năm 2030",
"định kỳ hàng tháng, quý, năm".  Hand-written on purpose: dateparser,
duckling-style parsers and underthesea all turn a date into one
``datetime`` (a fake 1st of the month for "tháng 3/2022", nothing at all
for "Quý III" or "6 tháng cuối năm"), and none of them keeps the precision
the text gives, reads month ranges sharing a year ("tháng 02-3/2022"), or
tells a deadline from a window.  Here every result is an interval of
:class:`PartialDate` (year, month?, day?) as precise as the text and no more.

How it works, in three passes, all regular expressions over the raw text:

1. *atoms*: each pattern of ``_patterns()`` finds one kind of expression
   (full date, month, month range, quarter, part of a year, year, labelled
   period, recurrence), with the cue word written before it ("trong",
   "trước", "đến", "từ"…); overlapping finds keep the longest.
2. *combination*: "từ tháng 01 đến tháng 3 năm 2022" joins two atoms into one
   range, the left one borrowing the year; "tháng 5 và tháng 6/2022" lends the
   year leftwards; a date without a year followed by "hàng năm" becomes a
   recurrence ("trước ngày 15 tháng 12 hàng năm").
3. *kind*: dates that are not a schedule are labelled so task dating can
   skip them: ``name`` (part of a plan or document name: "thời kỳ 2021 -
   2030", "tầm nhìn đến năm 2050", "Chiến lược … đến năm 2030", "… đến năm
   2035, tỷ lệ 1/5.000"), ``citation`` (the date of a cited legal document:
   "Quyết định số 197/QĐ-UBND ngày 25/01/2022"), ``dateline`` (the document's
   own "Lạng Sơn, ngày … tháng … năm …"), ``baseline`` ("so với năm 2021").

Every word list lives in ``resources/time_words.json``; ``datetime`` and
``calendar`` only validate (day ≤ days in the month).

The code is split along those passes: :mod:`extractors.date_vocabulary`
(word lists, shared types), :mod:`extractors.date_patterns` (atoms),
:mod:`extractors.date_parsing` (combination, results), :mod:`extractors.date_kinds`
(kinds), :mod:`extractors.relative_dates` (durations counted from the issue or
an effective date) and :mod:`extractors.task_window` (a task's window and
anomaly flags).  This module keeps the public names in one place.
"""

from __future__ import annotations

from kehoach.extractors.date_parsing import find_time_expressions, kind_of, parse_date, schedule_expressions
from kehoach.extractors.date_vocabulary import Kind, TimeMention, vocabulary
from kehoach.extractors.task_window import Window, choose_window, date_task, flag_anomalies, task_window

__all__ = [
    "Kind",
    "Window",
    "choose_window",
    "date_task",
    "TimeMention",
    "find_time_expressions",
    "flag_anomalies",
    "kind_of",
    "parse_date",
    "schedule_expressions",
    "task_window",
    "vocabulary",
]
