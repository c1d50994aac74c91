import { sql, type RawBuilder } from 'kysely'
import type { AcwrModel } from './models.ts'

// The four ACWR models as CTEs of the update statement (statement.ts), from the dense daily
// series to `model_values`: one row per athlete-day with, per load, its acute and chronic
// loads, the number of days in each window whose load is known (`acute_known`,
// `chronic_known`), and each window's length in days (`acute_span`, `chronic_span`). The
// external load is always known; an internal load is null on a day with an activity without
// heart rate, and the internal means leave such days out (docs/science.md, "Unknown internal
// load"): a window's mean is its known days' mean, null when it has none.

/** The largest share of the chronic EWMA's weight its seed may keep on a complete day. */
export const EWMA_SEED_WEIGHT = 0.05

export type Load = 'external' | 'internal'
const LOADS: Load[] = ['external', 'internal']

export const column = (load: Load, name: string) => sql.ref(`${load}_${name}`)

/** One select-list fragment per load kind, joined with commas. */
export const perLoad = (fragment: (load: Load) => RawBuilder<unknown>) => sql.join(LOADS.map(fragment))

export const ATHLETE_DAYS = sql`window athlete_days as (partition by athlete_id order by day rows between unbounded preceding and current row)`

const ACUTE_SPAN = sql`least(days_available, acute_days)`
const CHRONIC_SPAN = sql`least(days_available, chronic_days)`

// Running totals per athlete. A window sum is the difference of two totals taken with lag,
// with the offset from each athlete's own settings, which is linear in the series length
// where `avg() over` a frame recomputes every frame. Totals of float loads can leave a
// rounding residue where the true window sum is 0, so the last day with load is carried too
// (a running max, exact): a window that does not reach it is exactly 0. The internal load
// also carries a running count of its known days (count skips nulls), and its total skips
// the unknown days.
const RUNNING_TOTALS = sql`
  running as (
    select series.*, ${perLoad(load => sql`
      coalesce(sum(${column(load, 'load')}) over athlete_days, 0::float8) as ${column(load, 'total')},
      max(day) filter (where ${column(load, 'load')} > 0) over athlete_days as ${column(load, 'last_active')}`)},
      count(internal_load) over athlete_days as internal_known_total
    from series
    ${ATHLETE_DAYS}
  ),`

/** The sum of a load over the last `days` days, today included. */
const windowSum = (load: Load, days: RawBuilder<unknown>) =>
  sql`${column(load, 'total')} - lag(${column(load, 'total')}, ${days}, 0::float8) over athlete_days`

/**
 * The known days among the last `days` days: every day of the span for the external load, the
 * difference of the running known-day counts for the internal one.
 */
const knownDays = (load: Load, days: RawBuilder<unknown>, span: RawBuilder<unknown>) => load === 'external'
  ? span
  : sql`internal_known_total - lag(internal_known_total, ${days}, 0::bigint) over athlete_days`

/**
 * A window mean, `sum` over `weights` (by default the `known` days), exactly 0 when the last
 * day with load (`lastActive`) lies `reach` or more days back. An internal window without a
 * known day has no mean (null); an external window without days (the uncoupled model's first
 * A days) reads 0.
 */
function windowMean (load: Load, sum: RawBuilder<unknown>, lastActive: RawBuilder<unknown>, reach: RawBuilder<unknown>,
  known: RawBuilder<unknown>, weights: RawBuilder<unknown> = known) {
  return sql`case ${load === 'internal' ? sql`when ${known} = 0 then null` : sql``}
    when ${lastActive} > day - ${reach} then ${sum} / (${weights}) else 0::float8 end`
}

const ACUTE_WINDOW = (load: Load) => sql`${windowSum(load, sql`acute_days`)} as ${column(load, 'acute_sum')},
  ${knownDays(load, sql`acute_days`, ACUTE_SPAN)} as ${column(load, 'acute_known')}`

const acuteMean = (load: Load) =>
  windowMean(load, column(load, 'acute_sum'), column(load, 'last_active'), sql`acute_days`, column(load, 'acute_known'))

const SPANS = (chronicSpan: RawBuilder<unknown>) => sql`${ACUTE_SPAN} as acute_span, ${chronicSpan} as chronic_span`

// Coupled: both means end today, so the acute window is part of the chronic one.
const ROLLING = sql`${RUNNING_TOTALS}
  windows as (
    select running.*, ${SPANS(CHRONIC_SPAN)}, ${perLoad(load => sql`${ACUTE_WINDOW(load)},
      ${windowSum(load, sql`chronic_days`)} as ${column(load, 'chronic_sum')},
      ${knownDays(load, sql`chronic_days`, CHRONIC_SPAN)} as ${column(load, 'chronic_known')}`)}
    from running
    ${ATHLETE_DAYS}
  ),
  model_values as (
    select windows.*, ${perLoad(load => sql`
      ${acuteMean(load)} as ${column(load, 'acute')},
      ${windowMean(load, column(load, 'chronic_sum'), column(load, 'last_active'), sql`chronic_days`, column(load, 'chronic_known'))}
        as ${column(load, 'chronic')}`)}
    from windows
  )`

// Uncoupled: the chronic mean covers the C − A days before the acute window; until the
// athlete has more than A days, that window is empty and the chronic load 0. The last day
// with load before the acute window is the running max as it stood A days ago, and its known
// days are the running count's difference between A and C days ago.
const UNCOUPLED_SPAN = sql`greatest(0, least(days_available, chronic_days) - acute_days)`
const ROLLING_UNCOUPLED = sql`${RUNNING_TOTALS}
  windows as (
    select running.*, ${SPANS(UNCOUPLED_SPAN)}, ${perLoad(load => sql`${ACUTE_WINDOW(load)},
      lag(${column(load, 'total')}, acute_days, 0::float8) over athlete_days
        - lag(${column(load, 'total')}, chronic_days, 0::float8) over athlete_days as ${column(load, 'before_sum')},
      lag(${column(load, 'last_active')}, acute_days) over athlete_days as ${column(load, 'before_last_active')},
      ${load === 'external'
        ? UNCOUPLED_SPAN
        : sql`lag(internal_known_total, acute_days, 0::bigint) over athlete_days - lag(internal_known_total, chronic_days, 0::bigint) over athlete_days`}
        as ${column(load, 'chronic_known')}`)}
    from running
    ${ATHLETE_DAYS}
  ),
  model_values as (
    select windows.*, ${perLoad(load => sql`
      ${acuteMean(load)} as ${column(load, 'acute')},
      ${windowMean(load, column(load, 'before_sum'), column(load, 'before_last_active'), sql`chronic_days`, column(load, 'chronic_known'))}
        as ${column(load, 'chronic')}`)}
    from windows
  )`

/**
 * One EWMA term of the recurrence y_t = (1 − λ)·y_{t−1} + term_t. Days before the recompute
 * start are skipped (a null term leaves the strict recurrence's state as it was), and so are
 * unknown days: the EWMA is carried over them, not decayed as if they were rest. The seed is
 * the first known day's load. A recompute that starts later resumes from the stored value of
 * the day before it (`seed`); an internal EWMA with no stored value had no known day yet, so
 * it seeds on its first known day from the start on.
 */
function ewmaTerm (load: Load, window: 'acute' | 'chronic') {
  const lambda = sql.ref(`${window}_lambda`)
  const L = column(load, 'load')
  const seed = column(load, `${window}_seed`)
  const seedsToday = load === 'external'
    ? sql`day = first_day`
    : sql`not internal_resumed and internal_known_since_start = 1`
  return sql`case
    when day < recompute_from then null
    when day = recompute_from and ${seed} is not null then coalesce(${lambda} * ${L} + (1 - ${lambda}) * ${seed}, ${seed})
    when ${L} is null then null
    when ${seedsToday} then ${L}
    else ${lambda} * ${L} end`
}

// EWMA_t = λ·L_t + (1 − λ)·EWMA_{t−1} with λ = 2/(N + 1), seeded with the first known day's
// load. A recompute resumes the recurrence from stored values; the lookback is for counting
// the known days of the nominal windows (the last A and C days), as in the other models.
const EWMA = sql`
  ewma_terms as (
    select series.*,
      2::float8 / (acute_days + 1) as acute_lambda,
      2::float8 / (chronic_days + 1) as chronic_lambda, ${perLoad(load => sql`
      day_before.${column(load, 'acute')} as ${column(load, 'acute_seed')},
      day_before.${column(load, 'chronic')} as ${column(load, 'chronic_seed')}`)},
      count(series.internal_load) over series_days as internal_known_total,
      count(series.internal_load) filter (where series.day >= series.recompute_from) over series_days as internal_known_since_start,
      bool_or(day_before.internal_chronic is not null) over series_days as internal_resumed
    from series
    -- Only the first recomputed day looks its seed up, so the other days cost no index probe.
    left join lateral (
      select * from acwr_daily
      where series.day = series.recompute_from and athlete_id = series.athlete_id and day = series.recompute_from - 1
    ) day_before on true
    window series_days as (partition by series.athlete_id order by series.day rows between unbounded preceding and current row)
  ),
  model_values as (
    select ewma_terms.*, ${SPANS(CHRONIC_SPAN)}, ${perLoad(load => sql`
      ${knownDays(load, sql`acute_days`, ACUTE_SPAN)} as ${column(load, 'acute_known')},
      ${knownDays(load, sql`chronic_days`, CHRONIC_SPAN)} as ${column(load, 'chronic_known')},
      ${sql.join(['acute', 'chronic'].map(window => {
        const recurrence = sql`linear_recurrence(1 - ${sql.ref(`${window}_lambda`)}, ${ewmaTerm(load, window as 'acute' | 'chronic')}) over athlete_days`
        // Before its first known day an internal EWMA has no value: the recurrence's 0 is only its initial state.
        return sql`${load === 'external' ? recurrence : sql`case when internal_resumed or internal_known_since_start > 0 then ${recurrence} end`}
          as ${column(load, window)}`
      }))}`)}
    from ewma_terms
    ${ATHLETE_DAYS}
  )`

/**
 * The decay model's weight sum over the chronic window's known days. For the external load
 * every day is known and the sum has a closed form; for the internal one it is the recurrence
 * W_t = w·W_{t−1} + k_t − w^C·k_{t−C}, k_t = 1 on a known day and 0 otherwise.
 */
const decayWeights = (load: Load) => load === 'external'
  ? sql`(1 - exp(-decay_rate * least(days_available, chronic_days))) / (1 - exp(-decay_rate))`
  : sql`linear_recurrence(decay_factor, internal_known_term) over athlete_days`

// Decay: chronic_t = Σ_{k<C} w^k·L_{t−k} / Σ_{k<C} w^k with w = e^(−r), over the known days.
// The numerator is the recurrence S_t = w·S_{t−1} + L_t − w^C·L_{t−C}: the day leaving the
// window is taken out with lag, and an unknown day adds nothing.
const DECAY = sql`${RUNNING_TOTALS}
  windows as (
    select running.*, exp(-decay_rate) as decay_factor, ${SPANS(CHRONIC_SPAN)}, ${perLoad(load => sql`${ACUTE_WINDOW(load)},
      coalesce(${column(load, 'load')}, 0) - exp(-decay_rate * chronic_days) * coalesce(lag(${column(load, 'load')}, chronic_days, 0::float8) over athlete_days, 0)
        as ${column(load, 'decay_term')},
      ${knownDays(load, sql`chronic_days`, CHRONIC_SPAN)} as ${column(load, 'chronic_known')}`)},
      -- lag finds no row before the series start, where no day entered the window either.
      (internal_load is not null)::int
        - exp(-decay_rate * chronic_days) * (lag(internal_load, chronic_days) over athlete_days is not null)::int as internal_known_term
    from running
    ${ATHLETE_DAYS}
  ),
  model_values as (
    select windows.*, ${perLoad(load => sql`
      ${acuteMean(load)} as ${column(load, 'acute')},
      ${windowMean(load, sql`linear_recurrence(decay_factor, ${column(load, 'decay_term')}) over athlete_days`,
        column(load, 'last_active'), sql`chronic_days`, column(load, 'chronic_known'), decayWeights(load))}
        as ${column(load, 'chronic')}`)}
    from windows
    ${ATHLETE_DAYS}
  )`

/**
 * Per model: how many days before the recompute start the series must begin so that every
 * window ending on or after the start is whole, the CTEs that end in `model_values`, and, when
 * it differs from "the chronic window is full", the model's test for `complete`.
 */
export const MODELS: Record<AcwrModel, { lookback: RawBuilder<unknown>, values: RawBuilder<unknown>, complete?: RawBuilder<unknown> }> = {
  rolling: { lookback: sql`chronic_days`, values: ROLLING },
  'rolling-uncoupled': { lookback: sql`chronic_days`, values: ROLLING_UNCOUPLED },
  // The seed keeps (1 − λc)^(t − 1) of the chronic weight on day t, 14.5% on day 28 at C = 28,
  // so the series is complete only once that is below 5% (from day 43 at C = 28).
  ewma: {
    lookback: sql`chronic_days`,
    complete: sql`power(1 - 2::float8 / (chronic_days + 1), days_available - 1) < ${sql.lit(EWMA_SEED_WEIGHT)}`,
    values: EWMA
  },
  decay: { lookback: sql`chronic_days`, values: DECAY }
}
