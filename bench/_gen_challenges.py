"""generate_data's challenges: the schedule (past, today's list, home plans under way, future), each challenge's
status and outcome, and what happened during it (checks, vitals, doses, observations, stop alert, follow-ups)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench._gen_base import BATCH, CHUNK, YEARS, GeneratorBase, Plan


class Generator(GeneratorBase):
    # --- challenges ---------------------------------------------------------------------------------------

    def schedule(self) -> list[tuple[str, datetime, Plan]]:
        """(kind of day, when, protocol) for every challenge: past, today's list, home plans under way, future."""
        rng = self.rng
        clinic_plans = [p for p in self.plans if p.setting == "clinic"]
        home_plans = [p for p in self.plans if p.setting == "home"] or clinic_plans
        today = max(4, min(20, self.challenges // 2500))
        active_home = max(2, self.challenges // 2000)
        future = max(4, self.challenges // 50)
        past = max(0, self.challenges - today - active_home - future)
        items: list[tuple[str, datetime, Plan]] = []
        for _ in range(past):
            day = self.now - timedelta(days=rng.randrange(2, YEARS * 365))
            when = self._clinic_time(day, rng.randrange(8 * 60, 15 * 60, 15))
            items.append(("past", when, rng.choice(home_plans if rng.random() < 0.15 else clinic_plans)))
        for _ in range(today):
            items.append(("today", self.now, rng.choice(clinic_plans)))  # the time is set with the status
        for _ in range(active_home):
            items.append(
                (
                    "home",
                    self.now - timedelta(days=rng.randrange(1, 20), minutes=rng.randrange(600)),
                    rng.choice(home_plans),
                )
            )
        for _ in range(future):
            day = self.now + timedelta(days=rng.randrange(1, 60))
            items.append(
                ("future", self._clinic_time(day, rng.randrange(8 * 60, 15 * 60, 15)), rng.choice(clinic_plans))
            )
        rng.shuffle(items)
        return items

    def _clinic_time(self, day: datetime, minutes: int) -> datetime:
        local = day.astimezone(self.zone).replace(hour=minutes // 60, minute=minutes % 60, second=0)
        return local.astimezone(UTC)

    def challenges_create(self, patients: list[tuple[int, date]]) -> None:
        from django.db import transaction

        from challenges.models import Challenge

        rows = [self._challenge(kind, when, plan, self.rng.choice(patients)[0]) for kind, when, plan in self.schedule()]
        self._share_observations(rows)
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            with transaction.atomic():
                Challenge.objects.bulk_create(chunk, batch_size=BATCH)
                for challenge in chunk:
                    self._records(challenge)
                self.buffers.flush()
        self.buffers.counts["Challenge"] = len(rows)

    def _share_observations(self, rows: list[Any]) -> None:
        """Share the observations out among the challenges that gave a dose, so they add up exactly."""
        dosed = [c for c in rows if c._bench_doses]
        weights = [self.rng.uniform(0.4, 1.6) * len(c._bench_doses) for c in dosed]
        total = sum(weights) or 1.0
        counts = [int(w / total * self.observations) for w in weights]
        for n in range(self.observations - sum(counts)):
            counts[n % len(counts)] += 1
        for challenge, count in zip(dosed, counts, strict=True):
            challenge._bench_observations = count

    def _challenge(self, kind: str, when: datetime, plan: Plan, patient_pk: int) -> Any:
        """The challenge row, with when each dose was given (kept on the instance until its rows are made)."""
        from challenges.models import Challenge

        rng = self.rng
        status = self._status(kind)
        count = self._dose_count(status, plan)
        if kind in ("today", "home") and count:
            # Under way: the last dose was given a little while ago (at home: hours ago), the earlier ones before it.
            back = timedelta(minutes=rng.randrange(5, 25) if plan.setting == "clinic" else rng.randrange(60, 2000))
            when = self.now - back - timedelta(minutes=sum(s[3] for s in plan.steps[: count - 1]) + 15)
        elif kind == "today":  # booked for later today, or checked in a few minutes ago
            when = (
                self.now + timedelta(minutes=rng.randrange(10, 240))
                if status == "planned"
                else self.now - timedelta(minutes=10)
            )
        times = list(self._dose_times(plan, when + timedelta(minutes=15), count))
        c = Challenge(
            clinic=self.clinic,
            patient_id=patient_pk,
            protocol_id=plan.pk,
            setting=plan.setting,
            scheduled_at=when,
            allergist_id=rng.choice(self.allergists),
            nurse_id=rng.choice(self.nurses) if plan.setting == "clinic" else None,
            status=status,
            indication="Bench: diagnostic challenge.",
            created_at=when - timedelta(days=rng.randrange(1, 60)),
        )
        c._bench_plan, c._bench_doses, c._bench_observations = plan, times, 0
        if times and status in ("completed", "stopped", "observing"):
            self._outcome(c, times[-1], times[-1] + timedelta(minutes=plan.observation_minutes))
        return c

    def _status(self, kind: str) -> str:
        roll = self.rng.random()
        if kind == "future":
            return "planned"
        if kind == "today":
            return "planned" if roll < 0.3 else "checked_in" if roll < 0.45 else "dosing" if roll < 0.8 else "observing"
        if kind == "home":
            return "paused" if roll < 0.3 else "dosing"
        return "cancelled" if roll < 0.08 else "stopped" if roll < 0.24 else "completed"

    def _dose_count(self, status: str, plan: Plan) -> int:
        if status in ("planned", "checked_in", "cancelled"):
            return 0
        if status in ("completed", "observing"):
            return len(plan.steps)
        return self.rng.randrange(1, max(2, len(plan.steps)))  # stopped, dosing, paused: part of the plan

    @staticmethod
    def _dose_times(plan: Plan, first_at: datetime, count: int) -> list[datetime]:
        times, at = [], first_at
        for _number, _protein, _food, wait in plan.steps[:count]:
            times.append(at)
            at = at + timedelta(minutes=wait)
        return times

    def _outcome(self, c: Any, last_at: datetime, ends_at: datetime) -> None:
        c.observation_started_at = last_at
        if c.status == "observing":
            return
        failed = c.status == "stopped"
        c.outcome, c.outcome_reason = ("failed" if failed else "passed"), "Bench outcome."
        c.grade_scale, c.grade, c.grade_confirmed_by_id = "wao_2010", "2" if failed else "", c.allergist_id
        c.advice = "strict_avoidance" if failed else "eat_regularly"
        c.new_adrenaline_prescription = failed
        if ends_at + timedelta(days=2) < self.now:
            c.signed_at, c.signed_by_id = ends_at + timedelta(hours=1), c.allergist_id

    # --- what happened during a challenge -----------------------------------------------------------------

    def _records(self, c: Any) -> None:
        from challenges.models import PreChallengeCheck, VitalSigns

        plan, times = c._bench_plan, c._bench_doses
        if plan.setting == "clinic" and c.status not in ("planned", "cancelled"):
            start = c.scheduled_at + timedelta(minutes=5)
            self.buffers.add(
                PreChallengeCheck,
                PreChallengeCheck(
                    challenge_id=c.pk,
                    no_illness=True,
                    asthma_eczema_controlled=True,
                    no_recent_exercise=True,
                    washout_confirmed=True,
                    premedication_taken=True,
                    consent_recorded=True,
                    emergency_ready=True,
                    baseline_skin="clear",
                    baseline_mouth="normal",
                    baseline_chest="clear",
                    recorded_by_id=c.nurse_id,
                    recorded_at=start,
                    created_at=start,
                ),
            )
            self.buffers.add(
                VitalSigns,
                VitalSigns(
                    challenge_id=c.pk,
                    kind="baseline",
                    taken_at=start,
                    heart_rate=self.rng.randrange(70, 100),
                    systolic=self.rng.randrange(105, 130),
                    diastolic=self.rng.randrange(60, 80),
                    spo2=98,
                    recorded_by_id=c.nurse_id,
                    created_at=start,
                ),
            )
        if not times:
            return
        self._doses(c, plan, times)
        ends_at = times[-1] + timedelta(minutes=plan.observation_minutes)
        reaction_at = min(times[-1] + timedelta(minutes=12), self.now) if c.status in ("stopped", "paused") else None
        self._observations(c, plan, times[0], min(ends_at, self.now), reaction_at=reaction_at)
        if reaction_at is not None:
            self._reaction(c, reaction_at)
        if c.status in ("completed", "stopped", "observing"):
            self._follow_ups(c, plan, times[-1])

    def _doses(self, c: Any, plan: Plan, times: list[datetime]) -> None:
        from challenges.models import Dose

        for (number, protein, food, _wait), at in zip(plan.steps, times, strict=False):
            self.buffers.add(
                Dose,
                Dose(
                    challenge_id=c.pk,
                    sequence=number,
                    step_number=number,
                    planned_protein_mg=protein,
                    planned_food_amount=food,
                    food_amount=food,
                    protein_mg=protein,
                    given_at=at,
                    given_by_id=c.nurse_id or c.allergist_id,
                    source="clinician" if plan.setting == "clinic" else "patient",
                    idempotency_key=uuid.UUID(int=self.rng.getrandbits(128), version=4),
                    created_at=at,
                ),
            )

    def _observations(
        self, c: Any, plan: Plan, first_at: datetime, until: datetime, *, reaction_at: datetime | None
    ) -> None:
        from challenges.models import Observation

        rng, count = self.rng, c._bench_observations
        span = max(60.0, (until - first_at).total_seconds())
        by = c.nurse_id or c.allergist_id
        source = "clinician" if plan.setting == "clinic" else "patient"
        for n in range(count):
            at = min(first_at + timedelta(seconds=int(rng.random() * span)), self.now)
            severity = 0 if rng.random() < 0.85 else 1
            item = rng.choice(plan.checklist)
            if reaction_at is not None and n >= count - 2:  # the findings that met the stop rule
                at, severity, item = reaction_at, rng.choice((2, 3)), rng.choice(plan.objective)
            self.buffers.add(
                Observation,
                Observation(
                    challenge_id=c.pk,
                    item_code=item,
                    severity=severity,
                    observed_at=at,
                    source=source,
                    recorded_by_id=by,
                    created_at=at,
                ),
            )

    def _reaction(self, c: Any, at: datetime) -> None:
        """The stop alert the findings raised (decided `stop`, or still open on a paused home plan), vitals,
        treatment."""
        from challenges.models import StopAlert, Treatment, VitalSigns

        decided = c.status == "stopped"
        self.buffers.add(
            StopAlert,
            StopAlert(
                challenge_id=c.pk,
                raised_at=at,
                hits=[
                    {"code": "objective_sign", "message": "Objective sign graded moderate or worse.", "evidence": []}
                ],
                decision="stop" if decided else "",
                reason="Objective signs." if decided else "",
                decided_by_id=c.allergist_id if decided else None,
                decided_at=at + timedelta(minutes=3) if decided else None,
            ),
        )
        if c.setting == "clinic":
            self.buffers.add(
                VitalSigns,
                VitalSigns(
                    challenge_id=c.pk,
                    kind="during",
                    taken_at=at,
                    heart_rate=112,
                    systolic=110,
                    diastolic=70,
                    spo2=95,
                    recorded_by_id=c.nurse_id,
                    created_at=at,
                ),
            )
            self.buffers.add(
                Treatment,
                Treatment(
                    challenge_id=c.pk,
                    kind="antihistamine",
                    drug="Cetirizine",
                    dose="10 mg",
                    route="oral",
                    given_at=at,
                    recorded_by_id=c.nurse_id,
                    created_at=at,
                ),
            )

    def _follow_ups(self, c: Any, plan: Plan, last_at: datetime) -> None:
        from challenges.models import FollowUp

        for hours in plan.follow_up_hours:
            due = last_at + timedelta(hours=hours)
            done = c.status != "observing" and due < self.now
            self.buffers.add(
                FollowUp,
                FollowUp(
                    challenge_id=c.pk,
                    due_at=due,
                    hours_after=hours,
                    method="phone" if done else "",
                    done_at=due + timedelta(minutes=20) if done else None,
                    done_by_id=(c.nurse_id or c.allergist_id) if done else None,
                    symptoms=False if done else None,
                    findings="No delayed symptoms." if done else "",
                    source="clinician" if done else "",
                    created_at=last_at,
                ),
            )
