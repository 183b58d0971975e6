import { WorkingCalendar, addCalendarDays, beijingDateOf } from './working-calendar';
import { caseDueDate, clockStops, promiseDueDate } from './time-limit';
import { formatBeijingDateTime, parseBeijingDateTime } from './beijing-time';

const at = (text: string) => parseBeijingDateTime(text)!;
const shown = (d: Date | null) => (d ? formatBeijingDateTime(d.getTime()) : null);
const calendar = WorkingCalendar.published();

describe('the working-day calendar (2026, as published by the State Council)', () => {
  it('National Day 1–7 October is off and Saturday 10 October is worked', () => {
    for (let d = 1; d <= 7; d++) expect(calendar.isWorkingDate(`2026-10-0${d}`)).toBe(false);
    expect(calendar.isWorkingDate('2026-10-08')).toBe(true);
    expect(calendar.isWorkingDate('2026-10-10')).toBe(true); // Saturday, worked in lieu
    expect(calendar.isWorkingDate('2026-10-11')).toBe(false); // Sunday
  });

  it('Spring Festival 15–23 February is off; Saturdays 14 and 28 February are worked', () => {
    expect(calendar.isWorkingDate('2026-02-16')).toBe(false); // Monday of the festival
    expect(calendar.isWorkingDate('2026-02-23')).toBe(false);
    expect(calendar.isWorkingDate('2026-02-14')).toBe(true);
    expect(calendar.isWorkingDate('2026-02-28')).toBe(true);
    expect(calendar.isWorkingDate('2026-02-24')).toBe(true);
  });

  it('an ordinary week: Monday to Friday only', () => {
    expect(['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13'].every((d) => calendar.isWorkingDate(d))).toBe(true);
    expect(calendar.isWorkingDate('2026-03-14')).toBe(false);
    expect(calendar.isWorkingDate('2026-03-15')).toBe(false);
  });

  it('counts in Beijing time: 16:30 UTC on 30 September is already 1 October in Pingjiang', () => {
    expect(beijingDateOf(Date.parse('2026-09-30T16:30:00Z'))).toBe('2026-10-01');
    expect(calendar.isWorkingDay(Date.parse('2026-09-30T16:30:00Z'))).toBe(false);
  });

  it('working days between two dates and after a date', () => {
    expect(calendar.addWorkingDays('2026-09-30', 3)).toBe('2026-10-10');
    expect(calendar.workingDaysBetween('2026-09-30', '2026-10-10')).toBe(3);
    expect(calendar.workingDaysBetween('2026-10-10', '2026-09-30')).toBe(0);
    expect(addCalendarDays('2026-12-31', 1)).toBe('2027-01-01');
  });

  it('knows which years it covers; an operator override adds a year and wins over the package', () => {
    expect(calendar.covers(2026)).toBe(true);
    expect(calendar.covers(2099)).toBe(false);
    const next = WorkingCalendar.published({ holidays: ['2099-01-01', '2026-03-10'], workdays: ['2099-01-03', '2026-10-05'] });
    expect(next.covers(2099)).toBe(true);
    expect(next.isWorkingDate('2099-01-01')).toBe(false); // a Thursday made a holiday
    expect(next.isWorkingDate('2099-01-03')).toBe(true); // a Saturday worked
    expect(next.isWorkingDate('2026-10-05')).toBe(true); // published holiday withdrawn
    expect(next.isWorkingDate('2026-03-10')).toBe(false);
  });
});

describe('time limits', () => {
  const threeWorkingDays = { value: 3, unit: 'WORKING_DAY' as const };

  it('企业设立登记 (3 working days) accepted on 2026-09-30 is due on 2026-10-10: the day of acceptance is not counted', () => {
    expect(shown(promiseDueDate(new Date(at('2026-09-30 10:15:00')), threeWorkingDays))).toBe('2026-10-10 23:59:59');
    // Accepted late in the evening: still 30 September, still due on the 10th.
    expect(shown(promiseDueDate(new Date(at('2026-09-30 23:30:00')), threeWorkingDays))).toBe('2026-10-10 23:59:59');
  });

  it('working days skip a weekend: accepted Friday 2026-03-13, 3 working days → Wednesday 18 March', () => {
    expect(shown(promiseDueDate(new Date(at('2026-03-13 09:00:00')), threeWorkingDays))).toBe('2026-03-18 23:59:59');
  });

  it('natural days count every day, holidays included; hours are plain time', () => {
    expect(shown(promiseDueDate(new Date(at('2026-09-30 10:00:00')), { value: 3, unit: 'NATURAL_DAY' }))).toBe('2026-10-03 23:59:59');
    expect(shown(promiseDueDate(new Date(at('2026-09-30 10:00:00')), { value: 48, unit: 'HOUR' }))).toBe('2026-10-02 10:00:00');
  });

  it('the clock stops for a supplement (补正) and restarts after it', () => {
    // Accepted Monday 9 March; 补正 requested Tuesday 10 March, received Monday 16 March.
    const stages = [
      { stage: 'ACCEPTED', time: at('2026-03-09 09:00:00') },
      { stage: 'SUPPLEMENT_REQUESTED', time: at('2026-03-10 11:00:00') },
      { stage: 'SUPPLEMENT_RECEIVED', time: at('2026-03-16 15:00:00') },
    ];
    const stops = clockStops(stages);
    expect(stops).toEqual([{ from: at('2026-03-10 11:00:00'), to: at('2026-03-16 15:00:00') }]);
    // Without the stop: 10, 11, 12 March → due Thursday 12 March.
    expect(shown(caseDueDate(at('2026-03-09 09:00:00'), threeWorkingDays).due)).toBe('2026-03-12 23:59:59');
    // With it: 10–16 March do not count; 17, 18, 19 March → due Thursday 19 March.
    expect(shown(caseDueDate(at('2026-03-09 09:00:00'), threeWorkingDays, stops).due)).toBe('2026-03-19 23:59:59');
  });

  it('while a supplement is outstanding the clock stands still: no due date', () => {
    const stops = clockStops([{ stage: 'SUPPLEMENT_REQUESTED', time: at('2026-03-10 11:00:00') }]);
    expect(caseDueDate(at('2026-03-09 09:00:00'), threeWorkingDays, stops)).toEqual({ due: null, stopped: true });
  });

  it('a supplement asked for after the limit ran out does not hide that the case is overdue', () => {
    const stops = clockStops([{ stage: 'SUPPLEMENT_REQUESTED', time: at('2026-03-20 11:00:00') }]);
    expect(shown(caseDueDate(at('2026-03-09 09:00:00'), threeWorkingDays, stops).due)).toBe('2026-03-12 23:59:59');
  });

  it('special procedures (特别程序) stop the clock too, overlapping a supplement as one stop, across a holiday', () => {
    const stops = clockStops([
      { stage: 'SPECIAL_STARTED', time: at('2026-09-28 10:00:00') },
      { stage: 'SUPPLEMENT_REQUESTED', time: at('2026-09-29 10:00:00') },
      { stage: 'SPECIAL_ENDED', time: at('2026-09-30 10:00:00') },
      { stage: 'SUPPLEMENT_RECEIVED', time: at('2026-10-08 10:00:00') },
    ]);
    expect(stops).toEqual([{ from: at('2026-09-28 10:00:00'), to: at('2026-10-08 10:00:00') }]);
    // Accepted Thursday 24 September. 25–27 are the Mid-Autumn holiday, 28 Sep–8 Oct stopped;
    // then 9 Oct (Friday) 1, 10 (Saturday, worked in lieu) 2, 12 (Monday) 3.
    expect(shown(caseDueDate(at('2026-09-24 16:00:00'), threeWorkingDays, stops).due)).toBe('2026-10-12 23:59:59');
  });

  it('an hour limit is extended by exactly the time stopped', () => {
    const stops = clockStops([
      { stage: 'SUPPLEMENT_REQUESTED', time: at('2026-03-09 12:00:00') },
      { stage: 'SUPPLEMENT_RECEIVED', time: at('2026-03-09 15:30:00') },
    ]);
    expect(shown(caseDueDate(at('2026-03-09 09:00:00'), { value: 24, unit: 'HOUR' }, stops).due)).toBe('2026-03-10 12:30:00');
  });

  it('natural days skip the days stopped', () => {
    const stops = clockStops([
      { stage: 'SPECIAL_STARTED', time: at('2026-03-10 12:00:00') },
      { stage: 'SPECIAL_ENDED', time: at('2026-03-11 15:30:00') },
    ]);
    // 10 and 11 March stopped; 12, 13, 14 counted.
    expect(shown(caseDueDate(at('2026-03-09 09:00:00'), { value: 3, unit: 'NATURAL_DAY' }, stops).due)).toBe('2026-03-14 23:59:59');
  });
});
