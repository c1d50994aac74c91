import { sql, type RawBuilder } from 'kysely'

// The performance management chart, computed in the ACWR update statement from the same
// dense daily series and stored in the same acwr_daily rows (docs/science.md, "Performance
// management chart"). Its fitness (CTL) and fatigue (ATL) are exponentially weighted with
// λ = 1 − e^(−1/τ), τ = ctl_days or atl_days, which is a different constant from the ACWR
// EWMA's 2/(N + 1): the two are never the same number and never share a name.

type Load = 'external' | 'internal'
const LOADS: Load[] = ['external', 'internal']

/**
 * Days before the recompute start the series must include: the ramp rate looks 7 days back
 * and monotony covers the 7 days ending today.
 */
export const PMC_LOOKBACK_DAYS = 7

const column = (load: Load, name: string) => sql.ref(`${load}_${name}`)
const perLoad = (fragment: (load: Load) => RawBuilder<unknown>) => sql.join(LOADS.map(fragment))

/** The stored PMC columns of acwr_daily, in the order the statement writes them. */
export const PMC_COLUMNS = LOADS.flatMap(load =>
  ['ctl', 'atl', 'tsb', 'ramp_rate', 'monotony', 'strain'].map(name => `${load}_${name}`))

const RECURRENCES = [
  { name: 'ctl', days: sql.ref('ctl_days') },
  { name: 'atl', days: sql.ref('atl_days') }
]

/**
 * CTEs that follow `model_values` (one row per athlete-day of the series, with its loads and
 * recompute bounds) and end in `pmc_values`: the same rows with the PMC columns added.
 *
 * CTL_t = CTL_{t−1} + λ·(L_t − CTL_{t−1}) is the recurrence y_t = (1 − λ)·y_{t−1} + λ·L_t,
 * from 0 on the day before the first day. A recompute that starts later resumes from stored
 * values: on the lookback days before the recompute start the recurrence is y_t = 0·y_{t−1} +
 * stored_t, so each of them reads its stored value and the first recomputed day continues
 * from the day before it, with no seed to look up separately. A day whose load is unknown
 * (null) makes the term null; linear_recurrence is strict, so that day leaves the state as it
 * was: CTL and ATL are carried, not decayed as if the athlete had rested.
 */
export const PMC_VALUES = sql`
  pmc_stored as (
    select model_values.*, ${perLoad(load => sql.join(RECURRENCES.map(({ name }) =>
      sql`stored.${column(load, name)} as ${column(load, `stored_${name}`)}`)))}
    from model_values
    -- Only the lookback days probe their stored row, so the other days cost no index probe.
    -- LIMIT 1 keeps the subquery a probe: without it the planner may pull it up into a join
    -- with the whole of acwr_daily, which it did, a sequential scan of every athlete's rows.
    left join lateral (
      select * from acwr_daily
      where model_values.day < model_values.recompute_from
        and model_values.day >= model_values.recompute_from - ${sql.lit(PMC_LOOKBACK_DAYS)}
        and athlete_id = model_values.athlete_id and day = model_values.day
      limit 1
    ) stored on true
  ),
  pmc_recurrences as (
    select pmc_stored.*, ${perLoad(load => sql.join(RECURRENCES.map(({ name, days }) => {
      const lambda = sql`(1 - exp(-1::float8 / ${days}))`
      return sql`linear_recurrence(
          case when day < recompute_from then 0::float8 else 1 - ${lambda} end,
          case when day < recompute_from then ${column(load, `stored_${name}`)} else ${lambda} * ${column(load, 'load')} end
        ) over athlete_days as ${column(load, name)}`
    })))}
    from pmc_stored
    window athlete_days as (partition by athlete_id order by day rows between unbounded preceding and current row)
  ),
  -- TSB is the form the athlete starts the day with, so it uses yesterday's CTL and ATL; the
  -- ramp rate compares CTL with a week ago. Foster's monotony is the 7-day mean load over its
  -- sample standard deviation; the deviation is 0 exactly when the 7 loads are equal, which
  -- min = max tells without the rounding residue of a computed deviation.
  pmc_windows as (
    select pmc_recurrences.*, ${perLoad(load => sql`
      case when day = first_day then 0::float8
        else lag(${column(load, 'ctl')}) over athlete_days - lag(${column(load, 'atl')}) over athlete_days end as ${column(load, 'tsb')},
      case when day - first_day >= 7 then ${column(load, 'ctl')} - lag(${column(load, 'ctl')}, 7) over athlete_days end
        as ${column(load, 'ramp_rate')},
      count(${column(load, 'load')}) over week as ${column(load, 'week_days')},
      sum(${column(load, 'load')}) over week as ${column(load, 'week_total')},
      avg(${column(load, 'load')}) over week as ${column(load, 'week_mean')},
      stddev_samp(${column(load, 'load')}) over week as ${column(load, 'week_sd')},
      min(${column(load, 'load')}) over week < max(${column(load, 'load')}) over week as ${column(load, 'week_varies')}`)}
    from pmc_recurrences
    window athlete_days as (partition by athlete_id order by day),
      week as (partition by athlete_id order by day rows between 6 preceding and current row)
  ),
  pmc_values as (
    select pmc_windows.*, ${perLoad(load => sql`
      ${column(load, 'week_total')} * ${column(load, 'monotony')} as ${column(load, 'strain')}`)}
    from (
      select pmc_windows.*, ${perLoad(load => sql`
        case when ${column(load, 'week_days')} = 7 and ${column(load, 'week_varies')}
          then ${column(load, 'week_mean')} / ${column(load, 'week_sd')} end as ${column(load, 'monotony')}`)}
      from pmc_windows
    ) as pmc_windows
  )`
