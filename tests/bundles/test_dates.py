from datetime import UTC, datetime

import pytest

from podium_bundle.dates import DateError, parse


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2019-08-07", datetime(2019, 8, 7, tzinfo=UTC)),
        ("8-7-2019", datetime(2019, 8, 7, tzinfo=UTC)),
        ("8/7/2019 10:15", datetime(2019, 8, 7, 10, 15, tzinfo=UTC)),
        ("2019-08-07T12:30:00+02:00", datetime(2019, 8, 7, 10, 30, tzinfo=UTC)),
        ("2019-08-07 23:30:00-01:30", datetime(2019, 8, 8, 1, 0, tzinfo=UTC)),
        ("2019-08-07T12:30:00.25Z", datetime(2019, 8, 7, 12, 30, 0, 250000, tzinfo=UTC)),
        ("2019-08-07 12:30", datetime(2019, 8, 7, 12, 30, tzinfo=UTC)),
    ],
)
def test_it_reads_every_date_form_of_old_bundles_as_utc(written, expected):
    assert parse(written) == expected


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2019-02-30", "'2019-02-30' is not a real date or time (day is out of range for month)"),
        (
            "2019-08-07T25:00",
            "'2019-08-07T25:00' is not a real date or time (hour must be in 0..23)",
        ),
        ("tomorrow", "'tomorrow' is not a date (use 2024-05-31 or 2024-05-31T12:00:00+00:00)"),
        (
            45000,
            "expected a date such as 2024-05-31, got int 45000 (YAML reads a time such as "
            "12:30:00 as a number; quote the date)",
        ),
        (True, "expected a date such as 2024-05-31, got bool True"),
        (
            "2019-08-07T10:00+25:00",
            "'2019-08-07T10:00+25:00' is not a real date or time "
            "(time zone offset '+25:00' is out of range)",
        ),
    ],
)
def test_it_names_what_is_wrong_with_a_date(written, message):
    with pytest.raises(DateError) as error:
        parse(written)
    assert str(error.value) == message
