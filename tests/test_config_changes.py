"""An owner living with supplywatch: real crawls of local supplier sites night after night, with the
config changed between nights as owners do. Each night, exactly the pushes and digest lines the
owner would expect reach the Apprise sink, and no alert is left firing without a rule."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from monitor import alerts, config as config_module
from tests.conftest import product_page, supplywatch, write_config

HOME_USD = "currency: USD\nexchange_rates: {EUR: 1.10}\n"


class Owner:
    """The owner's config (rewritten between nights), the sites, and what the sink received."""

    def __init__(self, tmp_path: Path, sites, sink) -> None:
        self.tmp_path, self.sink = tmp_path, sink
        self.acme, self.corner = sites(), sites()
        self.acme.set("walnut", product_page("16.40"))
        self.acme.set("coconut", product_page("95.00"))
        self.corner.set("walnut", product_page("16.60"))
        self.corner.set("glue", product_page("40.00"))
        self.seen = 0
        self.walnut_rules = "[{kind: threshold, above: 15, confirm: 1}]"
        self.coconut_unit, self.coconut_limit = "kg", "4"
        self.corner_active = "true"
        self.glue = True
        self.home = HOME_USD

    def write(self) -> None:
        glue = f"""
        - id: glue
          name: Wood glue
          unit: gal
          offers: [{{supplier: corner, url: "{self.corner.url('glue')}", pack: 1 gal}}]
          rules: [{{kind: threshold, above: 30, confirm: 1, severity: warning}}]
        """ if self.glue else ""
        materials = f"""
        - id: walnut
          name: Black walnut
          unit: board_foot
          offers:
            - {{supplier: acme, url: "{self.acme.url('walnut')}"}}
            - {{supplier: corner, url: "{self.corner.url('walnut')}", active: {self.corner_active}}}
          rules: {self.walnut_rules}
        - id: coconut
          name: Coconut oil
          unit: {self.coconut_unit}
          offers: [{{supplier: acme, url: "{self.acme.url('coconut')}", pack: 50 lb}}]
          rules: [{{kind: threshold, above: {self.coconut_limit}, confirm: 1, id: coconut-limit}}, {{kind: change, percent: 10, baseline: previous, confirm: 1}}]
        {glue}
        """
        write_config(self.tmp_path, materials, notify_yaml=f'urls: [{{url: "{self.sink.url}", tags: [phone, digest]}}]')
        path = self.tmp_path / "supplywatch.yml"
        text = path.read_text().replace("currency: USD\nexchange_rates: {EUR: 1.10}\n", self.home)
        path.write_text(text)

    def night(self) -> tuple[list[str], list[str]]:
        """Run the nightly job once; returns (pushes, digest lines) that reached the sink tonight."""
        self.write()
        result = supplywatch("run", cwd=self.tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        new, self.seen = self.sink.messages[self.seen:], len(self.sink.messages)
        pushes = [m["message"].splitlines()[0] for m in new if not m["title"].startswith("supplywatch, ")]
        lines = [line.strip() for m in new if m["title"].startswith("supplywatch, ") for line in m["message"].splitlines()
                 if line.startswith("  ") and not line.startswith("    http")]
        db = sqlite_utils.Database(self.tmp_path / "supplywatch.db")
        config = config_module.load(self.tmp_path / "supplywatch.yml")
        live = alerts.live_fingerprints(config)
        assert [a.fingerprint for a in alerts.firing(db) if a.fingerprint not in live] == []  # nothing fires without a rule
        return pushes, lines


def test_config_changes_over_many_nights_tell_the_owner_exactly_what_changed(tmp_path, sites, sink):
    owner = Owner(tmp_path, sites, sink)

    # Night 1: both walnut offers above the limit (critical: pushed), coconut oil above its own, glue in the digest.
    pushes, lines = owner.night()
    assert sorted(pushes) == [
        "Black walnut at Acme Lumber: $16.40/bd ft is above your limit of $15.00/bd ft",
        "Black walnut at Corner Shop: $16.60/bd ft is above your limit of $15.00/bd ft",
        "Coconut oil at Acme Lumber: $4.19/kg is above your limit of $4.00/kg",
    ]
    assert lines == ["[WARNING] Wood glue at Corner Shop: $40.00/gal is above your limit of $30.00/gal"]

    # Insert a rule before the walnut threshold, prices unchanged: the phone stays silent.
    owner.walnut_rules = "[{kind: change, percent: 10, baseline: median_30d, confirm: 1}, {kind: threshold, above: 15, confirm: 1}]"
    assert owner.night() == ([], [])

    # Remove the threshold rule: its two alerts are closed as no longer watched, once, never "resolved".
    owner.walnut_rules = "[{kind: change, percent: 10, baseline: median_30d, confirm: 1}]"
    pushes, lines = owner.night()
    assert pushes == [] and sorted(lines) == [
        "[CLOSED] Black walnut at Acme Lumber: no longer watched (its rule was removed); its price limit alert is closed",
        "[CLOSED] Black walnut at Corner Shop: no longer watched (its rule was removed); its price limit alert is closed",
    ]
    assert owner.night() == ([], [])

    # Corner's walnut moves up 12 %: a warning in the digest. Then the owner deactivates that offer.
    owner.corner.set("walnut", product_page("18.60"))
    pushes, lines = owner.night()
    assert pushes == [] and len(lines) == 1 and lines[0].startswith("[WARNING] Black walnut at Corner Shop up 12.0%")
    owner.corner_active = "false"
    pushes, lines = owner.night()
    assert pushes == [] and lines == [
        "[CLOSED] Black walnut at Corner Shop: no longer watched (the offer was deactivated); its price change alert is closed"]
    requests = len(owner.corner.requests("walnut"))
    assert owner.night() == ([], []) and len(owner.corner.requests("walnut")) == requests  # not fetched any more

    # Delete the glue material: its firing alert is closed, once.
    owner.glue = False
    pushes, lines = owner.night()
    assert pushes == [] and lines == [
        "[CLOSED] Wood glue at Corner Shop: no longer watched (the material was removed from the config); its price limit alert is closed"]

    # Coconut oil priced per lb instead of per kg (the owner re-expresses the limit it named): no move, no push.
    owner.coconut_unit, owner.coconut_limit = "lb", "1.81"
    pushes, lines = owner.night()
    assert pushes == [] and len(lines) == 1
    assert lines[0].startswith("Coconut oil is now compared per lb: ") and "so this is no price move" in lines[0]
    assert owner.night() == ([], [])

    # The home currency becomes EUR (the limit re-expressed too): no move, no push, one note per material.
    owner.home = "currency: EUR\nexchange_rates: {USD: 0.90}\n"
    owner.coconut_limit = "1.63"
    pushes, lines = owner.night()
    assert pushes == [] and sorted(line.split(" is now")[0] for line in lines) == ["Black walnut", "Coconut oil"]
    assert all("in euros" in line and "no price move" in line for line in lines)
    assert owner.night() == ([], [])

    # Walnut at Acme climbs 12 %: a warning. The owner lowers critical_percent to 12: told once, on the phone.
    owner.acme.set("walnut", product_page("18.40"))
    pushes, lines = owner.night()
    assert pushes == [] and len(lines) == 1 and lines[0].startswith("[WARNING] Black walnut at Acme Lumber up 12.2%")
    owner.walnut_rules = "[{kind: change, percent: 10, baseline: median_30d, confirm: 1, critical_percent: 12}]"
    pushes, lines = owner.night()
    assert len(pushes) == 1 and pushes[0].startswith("Black walnut at Acme Lumber up 12.2%") and lines == []
    assert owner.night() == ([], [])

    # Silence walnut, and it climbs further: nobody is told. Lift the silence: told once.
    assert supplywatch("silence", "walnut", "--for", "14d", cwd=tmp_path).returncode == 0
    owner.acme.set("walnut", product_page("22.00"))
    assert owner.night() == ([], [])
    assert supplywatch("silence", "walnut", "--lift", cwd=tmp_path).returncode == 0
    pushes, lines = owner.night()
    assert len(pushes) == 1 and pushes[0].startswith("Black walnut at Acme Lumber up 34.1%") and lines == []
    assert owner.night() == ([], [])


def test_check_warns_when_a_material_priced_lately_has_gone_from_the_config_as_a_renamed_id_would(tmp_path, sites):
    """A history is found by its material's id: renaming walnut to black-walnut starts an empty
    history. `check` says so (names, count, the id to put back) while it can be undone, and writes nothing."""
    site = sites()
    site.set("walnut", product_page("12.50"))
    materials = """
    - id: {id}
      name: Black walnut
      unit: board_foot
      offers:
        - {{supplier: acme, url: "{url}"}}
    """
    write_config(tmp_path, materials.format(id="walnut", url=site.url("walnut")))
    assert supplywatch("run", cwd=tmp_path).returncode == 0
    quiet = supplywatch("check", cwd=tmp_path)
    assert quiet.returncode == 0 and "which the config no longer has" not in quiet.stderr
    write_config(tmp_path, materials.format(id="black-walnut", url=site.url("walnut")))
    database = tmp_path / "supplywatch.db"
    before = database.read_bytes()
    checked = supplywatch("check", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert ("the database has 1 price of Black walnut up to " in checked.stderr
            and "under the id walnut, which the config no longer has (now black-walnut?)" in checked.stderr
            and "put walnut back as its id (the name may change freely)" in checked.stderr), checked.stderr
    assert database.read_bytes() == before
