import { sql, type Kysely } from 'kysely'

// A recurrence y_t = a·y_{t−1} + b_t with 0 < a < 1 and no new input decays geometrically:
// an EWMA with λ = 0.5 (acute window of 3 days) halves every day and leaves the range of
// normal doubles after about 1,020 days without load. PostgreSQL's float8 multiplication
// raises "value out of range: underflow" when a product of non-zero factors rounds to 0, so
// a long break used to fail every read and recompute of that athlete for good. The step now
// flushes any value below the smallest normal double (2^−1022, DBL_MIN) to an exact 0: such a
// value is far below any load that can be shown, and from a normal value the next product
// a·y stays non-zero for every factor trainload uses (a is 0, 1, or at least 0.5).
export async function up (db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function linear_recurrence_step(state double precision, a double precision, b double precision)
      returns double precision
      language plpgsql immutable strict parallel safe
      as $$
      declare
        stepped double precision := a * state + b;
      begin
        if abs(stepped) < 2.2250738585072014e-308 then
          return 0;
        end if;
        return stepped;
      end $$
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function linear_recurrence_step(state double precision, a double precision, b double precision)
      returns double precision
      language plpgsql immutable strict parallel safe
      as $$ begin return a * state + b; end $$
  `.execute(db)
}
