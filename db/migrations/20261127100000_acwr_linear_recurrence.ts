import { sql, type Kysely } from 'kysely'

// EWMA and the decay model's chronic load are first-order linear recurrences,
// y_t = a·y_{t−1} + b_t. Neither fits a plain window aggregate: written as a closed-form sum,
// both need weights like (1 − λ)^−t or e^(r·t), which overflow float8 within a few years of
// daily rows. A custom aggregate used as a window function over
// `rows between unbounded preceding and current row` evaluates the recurrence in one pass
// per athlete, carrying y in its state; the frame head never moves, so no inverse transition
// is needed. The caller shapes b_t: an EWMA seeds b with the first day's load (or, when it
// resumes, with the stored value of the day before), and the decay model subtracts the day
// leaving its window. The state function is PL/pgSQL rather than SQL-language because
// PostgreSQL cannot inline an SQL function called as an aggregate transition, and measured
// it ran about twice as slow.
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create function linear_recurrence_step(state double precision, a double precision, b double precision)
      returns double precision
      language plpgsql immutable strict parallel safe
      as $$ begin return a * state + b; end $$;

    create aggregate linear_recurrence(double precision, double precision) (
      sfunc = linear_recurrence_step,
      stype = double precision,
      initcond = '0',
      parallel = safe
    );
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    drop aggregate linear_recurrence(double precision, double precision);
    drop function linear_recurrence_step(double precision, double precision, double precision);
  `.execute(db)
}
