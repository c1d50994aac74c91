import { sql, type RawBuilder } from 'kysely'
import type { AcwrModel } from './models.ts'
import { MODELS, column, type Load } from './model-windows.ts'
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

/**
 * The internal ratio needs at least this share of the days of each window (acute and chronic)
 * to have a known internal load; below it the ratio and the divergence are null
 * (docs/science.md, "Unknown internal load"). Compared as integers: 3·known ≥ 2·span.
 */
export const MIN_KNOWN_SHARE = { numerator: 2, denominator: 3 } as const

const enoughKnown = (known: RawBuilder<unknown>, span: RawBuilder<unknown>) =>
  sql`${sql.lit(MIN_KNOWN_SHARE.denominator)} * ${known} >= ${sql.lit(MIN_KNOWN_SHARE.numerator)} * ${span}`

const ratio = (load: Load) => sql`case
    when ${column(load, 'chronic')} = 0 then null
    ${load === 'internal'
      ? sql`when not (${enoughKnown(sql`internal_acute_known`, sql`acute_span`)} and ${enoughKnown(sql`internal_chronic_known`, sql`chronic_span`)}) then null`
      : sql``}
    else ${column(load, 'acute')} / ${column(load, 'chronic')} end`

/** The share of the chronic window's days whose internal load is known; 0 for an empty window. */
const COVERAGE = sql`case when chronic_span = 0 then 0::float8 else internal_chronic_known::float8 / chronic_span end`

const STORED_COLUMNS = ['external_load', 'internal_load', 'external_acute', 'external_chronic', 'external_ratio',
  'internal_acute', 'internal_chronic', 'internal_ratio', 'internal_coverage', 'divergence', 'complete', ...PMC_COLUMNS]

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
        ${ratio('internal')} as internal_ratio, ${COVERAGE} as internal_coverage, ${complete} as complete,
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
    -- on order, and rows come back in storage order, which a delete and re-add changes. The
    -- day's internal load is known only when every activity of the day has one (a TRIMP):
    -- the known part alone would read a day with an unrecorded session as an easier day.
    daily_load as (
      select activities.athlete_id, activities.day,
        sum(external_load order by activities.id) as external_load,
        case when count(trimp) = count(*) then sum(trimp order by activities.id) end as internal_load
      from activities
      join plan on plan.athlete_id = activities.athlete_id and activities.day between plan.series_start and plan.today
      group by activities.athlete_id, activities.day
    ),
    -- The dense series: one row per calendar day through today, 0 on rest days, and an
    -- internal load that is null on a day whose internal load is unknown.
    -- days_available counts from the first activity, so partial windows divide by it.
    series as (
      select plan.athlete_id, plan.series_start + offset_days as day, plan.first_day, plan.recompute_from, plan.last_day,
        plan.acute_days, plan.chronic_days, plan.decay_rate, plan.ctl_days, plan.atl_days,
        plan.series_start + offset_days - plan.first_day + 1 as days_available,
        coalesce(daily_load.external_load, 0) as external_load,
        case when daily_load.day is null then 0::float8 else daily_load.internal_load end as internal_load
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
