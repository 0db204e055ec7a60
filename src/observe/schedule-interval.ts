/**
 * The longest gap between two consecutive runs of a cron schedule: what "no success within the expected interval"
 * (alert PipewrightNoRecentSuccess) measures against. Looked at over the 400 fire times after `from` (a year of a
 * daily schedule, every weekday gap of a weekly one); undefined when the schedule does not parse.
 */
import { CronExpressionParser } from 'cron-parser';

export function expectedIntervalSeconds(
  schedule: string,
  timezone: string | undefined,
  from: Date,
): number | undefined {
  try {
    const cron = CronExpressionParser.parse(schedule, { currentDate: from, ...(timezone ? { tz: timezone } : {}) });
    let previous = cron.next().getTime();
    let longest = 0;
    for (let i = 0; i < 400 && cron.hasNext(); i++) {
      const at = cron.next().getTime();
      longest = Math.max(longest, at - previous);
      previous = at;
    }
    return longest > 0 ? longest / 1000 : undefined;
  } catch {
    return undefined;
  }
}
