import { sql, type RawBuilder } from 'kysely'
import type { AcwrModel } from './models.ts'
import { PMC_COLUMNS, PMC_LOOKBACK_DAYS, PMC_VALUES } from './pmc.ts'

/**
 * The day a recompute starts from. A date is clamped into each athlete's series; the two
 * infinities stand for "the whole history" and "only the days after the last computed one".
 */
export const FULL_HISTORY = '-infinity'
export const ROLL_FORWARD = 'infinity'

export interface AcwrUpdateCounts {
  /** Athlete-days computed. */
  days: number
  /** Rows of acwr_daily inserted or changed. */
  written: number
}

/** The largest share of the chronic EWMA's weight its seed may keep on a complete day. */
export const EWMA_SEED_WEIGHT = 0.05

type Load = 'external' | 'internal'
const LOADS: Load[] = ['external', 'internal']

const column = (load: Load, name: string) => sql.ref(`${load}_${name}`)

/** One select-list fragment per load kind, joined with commas. */
const perLoad = (fragment: (load: Load) => RawBuilder<unknown>) => sql.join(LOADS.map(fragment))

const ATHLETE_DAYS = sql`window athlete_days as (partition by athlete_id order by day rows between unbounded preceding and current row)`

// Running totals per athlete. A window sum is the difference of two totals taken with lag,
// with the offset from each athlete's own settings, which is linear in the series length
// where `avg() over` a frame recomputes every frame. Totals of float loads can leave a
// rounding residue where the true window sum is 0, so the last day with load is carried too
// (a running max, exact): a window that does not reach it is exactly 0. One running max
// replaces a running count and its two lags, which is a third of the window work.
const RUNNING_TOTALS = sql`
  running as (
    select series.*, ${perLoad(load => sql`
      sum(${column(load, 'load')}) over athlete_days as ${column(load, 'total')},
      max(day) filter (where ${column(load, 'load')} > 0) over athlete_days as ${column(load, 'last_active')}`)}
    from series
    ${ATHLETE_DAYS}
  ),`

/** The sum of a load over the last `days` days, today included. */
const windowSum = (load: Load, days: RawBuilder<unknown>) =>
  sql`${column(load, 'total')} - lag(${column(load, 'total')}, ${days}, 0::float8) over athlete_days`

/**
 * A window mean over `days` days, exactly 0 when the last day with load (`lastActive`) lies
 * `reach` or more days back.
 */
const windowMean = (sum: RawBuilder<unknown>, lastActive: RawBuilder<unknown>, reach: RawBuilder<unknown>, days: RawBuilder<unknown>) =>
  sql`case when ${lastActive} > day - ${reach} then ${sum} / (${days}) else 0::float8 end`

const ACUTE_WINDOW = (load: Load) => sql`${windowSum(load, sql`acute_days`)} as ${column(load, 'acute_sum')}`

const acuteMean = (load: Load) =>
  windowMean(column(load, 'acute_sum'), column(load, 'last_active'), sql`acute_days`, sql`least(days_available, acute_days)`)

/**
 * Per model: how many days before the recompute start the series must begin so that every
 * window ending on or after the start is whole, and the CTEs that end in `model_values`
 * (one row per athlete-day with acute and chronic loads).
 */
const MODELS: Record<AcwrModel, { lookback: RawBuilder<unknown>, values: RawBuilder<unknown>, complete?: RawBuilder<unknown> }> = {
  // Coupled: both means end today, so the acute window is part of the chronic one.
  rolling: {
    lookback: sql`chronic_days`,
    values: sql`${RUNNING_TOTALS}
      windows as (
        select running.*, ${perLoad(load => sql`${ACUTE_WINDOW(load)},
          ${windowSum(load, sql`chronic_days`)} as ${column(load, 'chronic_sum')}`)}
        from running
        ${ATHLETE_DAYS}
      ),
      model_values as (
        select windows.*, ${perLoad(load => sql`
          ${acuteMean(load)} as ${column(load, 'acute')},
          ${windowMean(column(load, 'chronic_sum'), column(load, 'last_active'), sql`chronic_days`, sql`least(days_available, chronic_days)`)}
            as ${column(load, 'chronic')}`)}
        from windows
      )`
  },
  // Uncoupled: the chronic mean covers the C − A days before the acute window; until the
  // athlete has more than A days, that window is empty and the chronic load 0. The last day
  // with load before the acute window is the running max as it stood A days ago.
  'rolling-uncoupled': {
    lookback: sql`chronic_days`,
    values: sql`${RUNNING_TOTALS}
      windows as (
        select running.*, ${perLoad(load => sql`${ACUTE_WINDOW(load)},
          lag(${column(load, 'total')}, acute_days, 0::float8) over athlete_days
            - lag(${column(load, 'total')}, chronic_days, 0::float8) over athlete_days as ${column(load, 'before_sum')},
          lag(${column(load, 'last_active')}, acute_days) over athlete_days as ${column(load, 'before_last_active')}`)}
        from running
        ${ATHLETE_DAYS}
      ),
      model_values as (
        select windows.*, ${perLoad(load => sql`
          ${acuteMean(load)} as ${column(load, 'acute')},
          ${windowMean(column(load, 'before_sum'), column(load, 'before_last_active'), sql`chronic_days`, sql`least(days_available, chronic_days) - acute_days`)}
            as ${column(load, 'chronic')}`)}
        from windows
      )`
  },
  // EWMA_t = λ·L_t + (1 − λ)·EWMA_{t−1} with λ = 2/(N + 1), seeded with the first day's load.
  // A recompute that starts later resumes from the stored value of the day before it, so
  // the model needs no lookback; the days before the start that the PMC reads are skipped
  // (a null term leaves the strict recurrence's state as it was). The seed keeps
  // (1 − λc)^(t − 1) of the chronic weight on day t, 14.5% on day 28 at C = 28, so the series
  // is complete only once that is below 5% (from day 43 at C = 28; docs/science.md).
  ewma: {
    lookback: sql`0`,
    complete: sql`power(1 - 2::float8 / (chronic_days + 1), days_available - 1) < ${sql.lit(EWMA_SEED_WEIGHT)}`,
    values: sql`
      ewma_terms as (
        select series.*,
          2::float8 / (acute_days + 1) as acute_lambda,
          2::float8 / (chronic_days + 1) as chronic_lambda, ${perLoad(load => sql`
          day_before.${column(load, 'acute')} as ${column(load, 'acute_seed')},
          day_before.${column(load, 'chronic')} as ${column(load, 'chronic_seed')}`)}
        from series
        -- Only the first recomputed day looks its seed up, so the other days cost no index probe.
        left join lateral (
          select * from acwr_daily
          where series.day = series.recompute_from and athlete_id = series.athlete_id and day = series.recompute_from - 1
        ) day_before on true
      ),
      model_values as (
        select ewma_terms.*, ${perLoad(load => sql.join(['acute', 'chronic'].map(window => {
          const lambda = sql.ref(`${window}_lambda`)
          const term = sql`case
            when day < recompute_from then null
            when day = first_day then ${column(load, 'load')}
            when day = recompute_from then ${lambda} * ${column(load, 'load')} + (1 - ${lambda}) * ${column(load, `${window}_seed`)}
            else ${lambda} * ${column(load, 'load')} end`
          return sql`linear_recurrence(1 - ${lambda}, ${term}) over athlete_days as ${column(load, window)}`
        })))}
        from ewma_terms
        ${ATHLETE_DAYS}
      )`
  },
  // Decay: chronic_t = Σ_{k<C} w^k·L_{t−k} / Σ_{k<C} w^k with w = e^(−r). The numerator is the
  // recurrence S_t = w·S_{t−1} + L_t − w^C·L_{t−C}: the day leaving the window is taken out
  // with lag. The denominator sums the weights of the days available, in closed form.
  decay: {
    lookback: sql`chronic_days`,
    values: sql`${RUNNING_TOTALS}
      windows as (
        select running.*, exp(-decay_rate) as decay_factor, ${perLoad(load => sql`${ACUTE_WINDOW(load)},
          ${column(load, 'load')} - exp(-decay_rate * chronic_days) * lag(${column(load, 'load')}, chronic_days, 0::float8) over athlete_days
            as ${column(load, 'decay_term')}`)}
        from running
        ${ATHLETE_DAYS}
      ),
      model_values as (
        select windows.*, ${perLoad(load => sql`
          ${acuteMean(load)} as ${column(load, 'acute')},
          ${windowMean(sql`linear_recurrence(decay_factor, ${column(load, 'decay_term')}) over athlete_days`,
            column(load, 'last_active'), sql`chronic_days`,
            sql`(1 - exp(-decay_rate * least(days_available, chronic_days))) / (1 - exp(-decay_rate))`)} as ${column(load, 'chronic')}`)}
        from windows
        ${ATHLETE_DAYS}
      )`
  }
}

const ratio = (load: Load) =>
  sql`case when ${column(load, 'chronic')} = 0 then null else ${column(load, 'acute')} / ${column(load, 'chronic')} end`

const STORED_COLUMNS = ['external_load', 'internal_load', 'external_acute', 'external_chronic', 'external_ratio',
  'internal_acute', 'internal_chronic', 'internal_ratio', 'divergence', 'complete', ...PMC_COLUMNS]

/** The stored value columns, optionally qualified by a table name. */
const storedColumns = (table?: string) =>
  sql.join(STORED_COLUMNS.map(name => sql.ref(table ? `${table}.${name}` : name)))

// From the model's acute and chronic loads and the PMC to stored rows: ratios, divergence, and
// the writes. Expects a `pmc_values` CTE before it; `complete` is the model's own test.
const storeChangedDays = (complete: RawBuilder<unknown>) => sql`
    -- Only the days from the recompute start are stored; the lookback days were context.
    -- OFFSET 0 keeps the model's values a subquery of their own: merged into this one, each
    -- use of a ratio below would repeat the acute and chronic expressions, evaluated again
    -- per use, which made this step cost as much as all the window functions together.
    ratios as (
      select athlete_id, day, last_day, external_load, internal_load, external_acute, external_chronic,
        ${ratio('external')} as external_ratio, internal_acute, internal_chronic,
        ${ratio('internal')} as internal_ratio, ${complete} as complete,
        ${sql.join(PMC_COLUMNS.map(name => sql.ref(name)))}
      from (select * from pmc_values where day >= recompute_from offset 0) as model_values
    ),
    -- divergence = (ER − IR) / mean(ER, IR): null without both ratios, 0 when both are 0.
    computed as (
      select ratios.*, case
          when external_ratio is null or internal_ratio is null then null
          when external_ratio + internal_ratio = 0 then 0::float8
          else (external_ratio - internal_ratio) / ((external_ratio + internal_ratio) / 2)
        end as divergence
      from ratios
    ),
    -- The days up to the athlete's last stored day, beside their stored row if there is one
    -- (a series that now starts earlier has none yet). LIMIT 1 keeps this an index probe per
    -- day whatever the table's statistics say, so an ingest never scans acwr_daily whole.
    revised as (
      select computed.*, previous.day is not null as stored,
        (${storedColumns('previous')}) is distinct from (${storedColumns('computed')}) as changed
      from computed
      left join lateral (
        select * from acwr_daily where athlete_id = computed.athlete_id and day = computed.day limit 1
      ) previous on true
      where computed.day <= computed.last_day
    ),
    -- Days after the last stored day have no row yet, so a first computation or a roll-forward
    -- looks nothing up. Both kinds of new days are plain inserts: the athlete's row lock keeps
    -- every other writer away, so no conflict can arise, and ON CONFLICT's speculative
    -- insertion would double the cost of each row.
    inserted as (
      insert into acwr_daily (athlete_id, day, ${storedColumns()}, computed_at)
      select athlete_id, day, ${storedColumns()}, now() from computed where last_day is null or day > last_day
      union all
      select athlete_id, day, ${storedColumns()}, now() from revised where not stored
      returning 1
    ),
    -- Rewriting an identical row costs as much as writing a new one, so unchanged days are left.
    updated as (
      update acwr_daily set (${storedColumns()}, computed_at) = (${storedColumns('revised')}, now())
      from revised
      where revised.stored and revised.changed
        and acwr_daily.athlete_id = revised.athlete_id and acwr_daily.day = revised.day
      returning 1
    )`

/**
 * The whole ACWR update for the athletes of one model among `athleteIds`, in one statement:
 * it builds their dense daily series from `from` through today in each athlete's timezone,
 * computes the model and the PMC, and writes the rows whose values changed.
 */
export function acwrUpdateStatement (model: AcwrModel, athleteIds: number[], from: string): RawBuilder<AcwrUpdateCounts> {
  const { lookback, values, complete = sql`days_available >= chronic_days` } = MODELS[model]
  return sql<AcwrUpdateCounts>`
    with
    -- The athletes of this model in the batch, with the bounds of their series: the first
    -- activity day, today in their own timezone, and the last day already computed.
    scope as (
      select athletes.id as athlete_id, acute_days, chronic_days, decay_rate, ctl_days, atl_days, first.day as first_day,
        (now() at time zone timezone)::date as today, stored.first_day as stored_first_day, stored.last_day
      from athletes
      left join lateral (select min(day) as day from activities where athlete_id = athletes.id) first on true
      left join lateral (
        select min(day) as first_day, max(day) as last_day from acwr_daily where athlete_id = athletes.id
      ) stored on true
      where athletes.id = any(${athleteIds}::bigint[]) and acwr_model = ${model}
    ),
    -- Rows outside [first activity, today] no longer belong to a series: the first activity
    -- was deleted, the timezone moved today back, or no activity is left. The stored bounds
    -- name the few athletes concerned, so the table is only read through its index for them.
    outdated as (
      delete from acwr_daily using scope
      where acwr_daily.athlete_id = scope.athlete_id
        and acwr_daily.athlete_id = any(array(
          select athlete_id from scope
          where last_day is not null and (first_day is null or stored_first_day < first_day or last_day > today)))
        and (scope.first_day is null or acwr_daily.day < scope.first_day or acwr_daily.day > scope.today)
    ),
    -- Where each series is recomputed from: the requested day, but never after the first
    -- day not yet computed (so a stale series is also brought up to today) and never before
    -- the first activity. The series itself starts earlier by the model's lookback, and at
    -- least by the PMC's.
    plan as (
      select scope.*, start.recompute_from,
        greatest(first_day, start.recompute_from - greatest(${lookback}, ${sql.lit(PMC_LOOKBACK_DAYS)})) as series_start
      from scope
      cross join lateral (
        select greatest(first_day, least(${from}::date, coalesce(last_day + 1, first_day))) as recompute_from
      ) start
      where first_day is not null and start.recompute_from <= today
    ),
    -- Several activities on one day are summed, in id order: floating-point addition depends
    -- on order, and rows come back in storage order, which a delete and re-add changes.
    daily_load as (
      select activities.athlete_id, activities.day,
        sum(external_load order by activities.id) as external_load, sum(trimp order by activities.id) as internal_load
      from activities
      join plan on plan.athlete_id = activities.athlete_id and activities.day between plan.series_start and plan.today
      group by activities.athlete_id, activities.day
    ),
    -- The dense series: one row per calendar day through today, 0 on rest days.
    -- days_available counts from the first activity, so partial windows divide by it.
    series as (
      select plan.athlete_id, plan.series_start + offset_days as day, plan.first_day, plan.recompute_from, plan.last_day,
        plan.acute_days, plan.chronic_days, plan.decay_rate, plan.ctl_days, plan.atl_days,
        plan.series_start + offset_days - plan.first_day + 1 as days_available,
        coalesce(daily_load.external_load, 0) as external_load,
        coalesce(daily_load.internal_load, 0) as internal_load
      from plan
      cross join generate_series(0, plan.today - plan.series_start) as offset_days
      left join daily_load on daily_load.athlete_id = plan.athlete_id and daily_load.day = plan.series_start + offset_days
    ),
    ${values},
    ${PMC_VALUES},
    ${storeChangedDays(complete)}
    select (select coalesce(sum(today - recompute_from + 1), 0) from plan)::int as days,
      ((select count(*) from inserted) + (select count(*) from updated))::int as written
  `
}
