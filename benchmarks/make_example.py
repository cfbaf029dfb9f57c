"""Regenerate the bundled example cohort in ``src/matching/data/``.

    python benchmarks/make_example.py            # writes src/matching/data/*.csv
    python benchmarks/make_example.py --out DIR  # somewhere else

The org chart, titles, levels, capacities and the special cases are written
out by hand below; names, gender, race, years of experience, competencies
and most preferences are drawn from a seeded generator, so the output is
identical on every run.  Every person is fictional.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as g  # noqa: E402

SEED = 20240901
REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "src" / "matching" / "data"

CM = "City Manager"
ACM = "Assistant City Manager"
KBE = "Key Business Executive"
DM = "Division Manager"

# Level scale of the example: 9 City Manager, 8 Assistant City Managers,
# 7 Key Business Executives, 5-6 Division Managers, staff 2-6.
# (id, title, area, level, capacity)
MENTORS = [
    ("M001", CM, "Executive Office", 9, 1),
    ("M002", ACM, "Executive Office", 8, 2),
    ("M003", ACM, "Executive Office", 8, 1),
    ("M004", KBE, "Police", 7, 1),                      # Public Safety
    ("M005", KBE, "Budget", 7, 2),                      # Finance & Budget
    ("M006", KBE, "Engineering", 7, 1),                 # Public Works
    ("M007", KBE, "Water", 7, 2),                       # Utilities
    ("M008", KBE, "Planning", 7, 1),                    # Community Development
    ("M009", KBE, "Parks", 7, 2),                       # Parks & Recreation
    ("M010", KBE, "Employee Relations", 7, 1),          # Human Resources
    ("M011", KBE, "IT Infrastructure", 7, 1),           # Information Technology
    ("M012", KBE, "Library Branches", 7, 0),            # Library (on leave: capacity 0)
    ("M013", DM, "Police", 6, 2),
    ("M014", DM, "Police", 5, 1),
    ("M015", DM, "Fire", 6, 2),
    ("M016", DM, "Fire", 5, 1),
    ("M017", DM, "Emergency Management", 6, 1),
    ("M018", DM, "Municipal Court", 5, 1),
    ("M019", DM, "Accounting", 6, 2),
    ("M020", DM, "Procurement", 5, 1),
    ("M021", DM, "Treasury", 6, 1),
    ("M022", DM, "Streets", 5, 2),
    ("M023", DM, "Facilities", 5, 1),
    ("M024", DM, "Solid Waste", 5, 1),
    ("M025", DM, "Wastewater", 6, 2),
    ("M026", DM, "Stormwater", 5, 1),
    ("M027", DM, "Utility Billing", 5, 1),
    ("M028", DM, "Building Permits", 6, 2),
    ("M029", DM, "Housing", 5, 1),
    ("M030", DM, "Economic Development", 6, 1),
    ("M031", DM, "Fleet Services", 5, 1),               # also a mentee
    ("M032", DM, "Recreation", 6, 2),
    ("M033", DM, "Recruitment", 5, 1),
    ("M034", DM, "Benefits", 5, 1),
    ("M035", DM, "Applications", 6, 2),
    ("M036", DM, "GIS", 5, 1),
    ("M037", DM, "Communications", 6, 2),
    ("M038", DM, "City Clerk", 5, 1),
    ("M039", DM, "Performance & Strategy", 6, 2),
    ("M040", DM, "Library Technical Services", 5, 1),
]

# (id, title, area, level)
MENTEES = [
    ("E001", "Police Sergeant", "Police", 4),
    ("E002", "Police Records Supervisor", "Police", 3),
    ("E003", "Crime Analyst", "Police", 2),
    ("E004", "Police Lieutenant", "Police", 5),
    ("E005", "Fire Captain", "Fire", 4),
    ("E006", "Fire Inspector", "Fire", 3),
    ("E007", "Battalion Chief", "Fire", 6),
    ("E008", "Emergency Management Coordinator", "Emergency Management", 3),
    ("E009", "Court Services Supervisor", "Municipal Court", 3),
    ("E010", "Code Enforcement Supervisor", "Code Enforcement", 4),
    ("E011", "Budget Analyst", "Budget", 3),
    ("E012", "Senior Budget Analyst", "Budget", 4),
    ("E013", "Accountant", "Accounting", 2),
    ("E014", "Payroll Supervisor", "Accounting", 4),
    ("E015", "Procurement Specialist", "Procurement", 3),
    ("E016", "Treasury Analyst", "Treasury", 3),
    ("E017", "Revenue Collections Coordinator", "Revenue", 2),
    ("E018", "Streets Crew Supervisor", "Streets", 3),
    ("E019", "Civil Engineer", "Engineering", 4),
    ("E020", "Fleet Maintenance Supervisor", "Fleet Services", 3),
    ("E021", "Facilities Project Coordinator", "Facilities", 3),
    ("E022", "Solid Waste Route Supervisor", "Solid Waste", 2),
    ("E023", "Senior Civil Engineer", "Engineering", 5),
    ("E024", "Water Quality Supervisor", "Water", 4),
    ("E025", "Water Treatment Operator", "Water", 2),
    ("E026", "Wastewater Plant Supervisor", "Wastewater", 4),
    ("E027", "Stormwater Program Coordinator", "Stormwater", 3),
    ("E028", "Utility Billing Supervisor", "Utility Billing", 3),
    ("E029", "Planner II", "Planning", 3),
    ("E030", "Senior Planner", "Planning", 4),
    ("E031", "Building Inspector", "Building Permits", 2),
    ("E032", "Permit Center Supervisor", "Building Permits", 4),
    ("E033", "Housing Program Coordinator", "Housing", 3),
    ("E034", "Economic Development Analyst", "Economic Development", 3),
    ("E035", "Neighborhood Services Coordinator", "Neighborhood Services", 2),
    ("E036", "Recreation Supervisor", "Recreation", 3),
    ("E037", "Parks Maintenance Supervisor", "Parks", 3),
    ("E038", "Aquatics Coordinator", "Aquatics", 2),
    ("E039", "Urban Forester", "Urban Forestry", 3),
    ("E040", "HR Generalist", "Recruitment", 2),
    ("E041", "Senior HR Analyst", "Employee Relations", 4),
    ("E042", "Benefits Coordinator", "Benefits", 3),
    ("E043", "Training Coordinator", "Training & Development", 3),
    ("E044", "Risk Analyst", "Risk Management", 3),
    ("E045", "Systems Analyst", "Applications", 3),
    ("E046", "IT Project Manager", "Applications", 4),
    ("E047", "GIS Analyst", "GIS", 3),
    ("E048", "Network Engineer", "IT Infrastructure", 4),
    ("E049", "Service Desk Supervisor", "Service Desk", 3),
    ("E050", "Cybersecurity Analyst", "Cybersecurity", 3),
    ("E051", "Management Analyst I", "Performance & Strategy", 2),
    ("E052", "Senior Management Analyst", "Performance & Strategy", 5),
    ("E053", "Communications Specialist", "Communications", 2),
    ("E054", "Deputy City Clerk", "City Clerk", 3),
    ("E055", "Chief of Staff", "Executive Office", 7),
    ("E056", "Intergovernmental Affairs Coordinator", "Intergovernmental Affairs", 3),
    ("E057", "Librarian II", "Library Branches", 2),
    ("E058", "Branch Library Supervisor", "Library Branches", 4),
    ("E059", "Library Systems Coordinator", "Library Technical Services", 3),
    ("E060", "Youth Services Librarian", "Library Programs", 2),
    ("M031", DM, "Fleet Services", 5),                 # the Fleet Services manager, also a mentor
]

INELIGIBLE = {
    "E022": "Not eligible: still in the six-month probationary period.",
    "E038": "Not eligible: on extended leave for most of the program year.",
}
PRIORITY = {
    "E013": "Priority 2: withdrew from the last session when their mentor retired.",
    "E047": "Priority 2: withdrew from the last session (schedule conflict).",
}
NOTES = {
    "E055": ("Only the City Manager and the Assistant City Managers are more senior, "
             "and they all work in the Executive Office: no eligible mentor."),
    "M031": "Also a mentor (same id in mentors.csv).",
}
MENTOR_NOTES = {
    "M012": "On extended leave this cycle: listed, but capacity 0.",
    "M031": "Also a mentee (same id in mentees.csv).",
}
NO_PREFERENCES = {"E003", "E009", "E017", "E025", "E035", "E042", "E053", "E060"}
# Hand-set preference lists.  Several deliberately name ineligible mentors,
# as real self-assessments do (same area, or not more senior).
FIXED_PREFERENCES = {
    "E004": ["M013", "M004", "M017", "M002"],          # M013: Police, same area
    "E012": ["M005", "M039", "M002", "M019"],          # M005: Budget, same area
    "E019": ["M006", "M025", "M026", "M036"],          # M006: Engineering, same area; M026/M036 level 5 == no
    "E023": ["M006", "M007", "M003"],                  # M006: own KBE (same area)
    "E052": ["M039", "M037", "M005", "M001"],          # M039: same area; M037 same level 6 > 5 ok
    "E055": ["M001", "M002", "M003"],                  # all in the Executive Office
    "E007": ["M015", "M017", "M004", "M002"],          # M015 Fire, same area; M017 level 6 == 6
    "E024": ["M007", "M025", "M006"],                  # M007: Water, same area
    "M031": ["M006", "M002", "M023", "M020"],          # M023/M020 level 5 == 5: not more senior
    "E013": ["M019", "M005", "M021"],                  # M019: Accounting, same area
}

FIRST_F = ["Alicia", "Bernadette", "Carmen", "Danielle", "Elena", "Fatima", "Gloria",
           "Hannah", "Imani", "Janelle", "Keiko", "Lorena", "Marisol", "Nadia", "Olivia",
           "Priya", "Rosalind", "Simone", "Tamara", "Vanessa", "Whitney", "Yolanda",
           "Beatriz", "Colleen", "Denise", "Esther", "Francine", "Harriet", "Ingrid",
           "Joanna", "Lakisha", "Meredith", "Naomi", "Renata", "Shauna", "Teresa"]
FIRST_M = ["Andre", "Bradley", "Carlos", "Darnell", "Eduardo", "Franklin", "Gregory",
           "Hector", "Isaac", "Jerome", "Kenji", "Lamar", "Marcus", "Nathaniel", "Omar",
           "Patrick", "Raymond", "Samuel", "Terrence", "Victor", "Wesley", "Xavier",
           "Benito", "Curtis", "Desmond", "Elliot", "Garrett", "Harold", "Ivan",
           "Julian", "Kwame", "Leonard", "Malik", "Neil", "Rafael", "Stefan"]
FIRST_X = ["Jordan", "Alex", "Riley", "Casey", "Morgan", "Quinn", "Avery", "Rowan",
           "Sage", "Emerson", "Reese", "Skyler"]
LAST = ["Abernathy", "Bautista", "Castellanos", "Delacroix", "Ellison", "Fairbanks",
        "Galloway", "Hargrove", "Ibarra", "Jennings", "Kowalczyk", "Lindqvist",
        "Montoya", "Nakamura", "Okonkwo", "Pemberton", "Quintero", "Rasmussen",
        "Sandoval", "Thornbury", "Underwood", "Valdivia", "Whitfield", "Yamamoto",
        "Zamora", "Ashcroft", "Brennan", "Chowdhury", "Dunmore", "Esposito",
        "Fitzgerald", "Greenleaf", "Holloway", "Iverson", "Jablonski", "Kincaid",
        "Larkspur", "Mbeki", "Northcott", "Oyelaran", "Prescott", "Ramanathan",
        "Salazar", "Tran", "Vasquez", "Winslow", "Achebe", "Birch", "Calloway",
        "Dominguez", "Everly", "Fontaine", "Gutierrez", "Hollis", "Ishikawa",
        "Jovanovic", "Kessler", "Lattimore", "Marchetti", "Nguyen", "Osei",
        "Pacheco", "Redfern", "Strickland", "Tolliver", "Vance", "Wexley", "Xiong",
        "Yancey", "Zielinski", "Alvarado", "Blackwood", "Crenshaw", "Dubois",
        "Easterly", "Ferreira", "Goldberg", "Haddad", "Ingram", "Jaramillo"]


def _demographics(rng: np.random.Generator, levels: np.ndarray, used: set[str]):
    n = len(levels)
    gender = rng.choice(g.GENDERS, size=n, p=g.GENDER_P)
    race = rng.choice(g.RACES, size=n, p=g.RACE_P)
    names = []
    for gen in gender:
        pool = {"F": FIRST_F, "M": FIRST_M, "X": FIRST_X}.get(gen, FIRST_F + FIRST_M)
        # prefer first and last names nobody has yet, so people are easy to tell apart
        firsts = [f for f in pool if f not in used] or pool
        lasts = [s for s in LAST if s not in used] or LAST
        first, last = str(rng.choice(firsts)), str(rng.choice(lasts))
        used.update((first, last))
        names.append(f"{first} {last}")
    years = np.clip(np.rint(3.0 * levels - 2 + rng.normal(0, 2.5, size=n)), levels - 1, 40)
    return names, list(gender), list(race), years.astype(int)


def build(seed: int = SEED):
    rng = np.random.default_rng(seed)
    area_idx = {a: i for i, a in enumerate(g._AREAS)}
    kbu_of = dict(zip(g._AREAS, g._AREA_KBU))
    used: set[str] = set()  # first and last names already given out

    # --- mentors -------------------------------------------------------------
    m_ids, m_title, m_area, m_level, m_cap = map(list, zip(*MENTORS))
    m_level = np.array(m_level)
    names, gender, race, years = _demographics(rng, m_level, used)
    mentors = pd.DataFrame({
        "id": m_ids, "name": names, "title": m_title, "level": m_level,
        "area": m_area, "kbu": [kbu_of[a] for a in m_area], "gender": gender,
        "race": race, "years_experience": years, "capacity": m_cap,
        "competencies": g._competencies(rng, len(m_ids), 2, 5, g._STRENGTH_WEIGHT),
    })
    mentors["note"] = [MENTOR_NOTES.get(p, "") for p in m_ids]

    # --- mentees -------------------------------------------------------------
    e_ids, e_title, e_area, e_level = map(list, zip(*MENTEES))
    e_level = np.array(e_level)
    names, gender, race, years = _demographics(rng, e_level, used)
    # the person in both tables keeps one name, gender, race and experience
    both = [i for i, pid in enumerate(e_ids) if pid in set(m_ids)]
    for i in both:
        row = mentors.loc[mentors["id"] == e_ids[i]].iloc[0]
        names[i], gender[i], race[i], years[i] = (row["name"], row["gender"], row["race"],
                                                  row["years_experience"])
    mentees = pd.DataFrame({
        "id": e_ids, "name": names, "title": e_title, "level": e_level,
        "area": e_area, "kbu": [kbu_of[a] for a in e_area], "gender": gender,
        "race": race, "years_experience": years,
    })
    mentees["eligible"] = [pid not in INELIGIBLE for pid in e_ids]
    mentees["priority"] = [2 if pid in PRIORITY else 1 for pid in e_ids]

    # preferences: generated, then the hand-set ones
    rel = g._relatedness_matrix(np.random.default_rng([seed, 1]))
    k = rng.integers(1, 6, size=len(e_ids))
    k[[pid in NO_PREFERENCES for pid in e_ids]] = 0
    ranked = g.rank_preferences(
        rng, e_level, np.array([area_idx[a] for a in e_area]), m_level,
        np.array([area_idx[a] for a in m_area]), rel, k, same_area_appeal=0.6)
    prefs = []
    for pid, row in zip(e_ids, ranked):
        if pid in FIXED_PREFERENCES:
            prefs.append(";".join(FIXED_PREFERENCES[pid]))
            continue
        chosen = [m_ids[j] for j in row if j >= 0 and m_ids[j] != pid]
        prefs.append(";".join(chosen))
    mentees["preferences"] = prefs
    mentees["competencies"] = g._competencies(rng, len(e_ids), 1, 3, g._GOAL_WEIGHT)
    mentees["note"] = [INELIGIBLE.get(p) or PRIORITY.get(p) or NOTES.get(p, "") for p in e_ids]

    present = set(mentees["area"]) | set(mentors["area"])
    keep = np.array([a in present for a in g._AREAS])
    relatedness = g._matrix_to_frame(rel, keep)
    return mentees, mentors, relatedness


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(DEFAULT_OUT))
    p.add_argument("--seed", type=int, default=SEED)
    a = p.parse_args(argv)
    mentees, mentors, relatedness = build(a.seed)
    g.check_contract(mentees, mentors, relatedness)
    g.write_cohort(a.out, mentees, mentors, relatedness)
    out = Path(a.out)
    reread = [pd.read_csv(out / f, dtype=str, keep_default_na=False)
              for f in ("mentees.csv", "mentors.csv", "relatedness.csv")]
    g.check_contract(*reread)
    print(f"wrote {len(mentees)} mentees, {len(mentors)} mentors "
          f"(capacity {mentors['capacity'].sum()}), {len(relatedness)} relatedness pairs "
          f"to {out}")


if __name__ == "__main__":
    main()
