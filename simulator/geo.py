"""French départements (INSEE codes), their régions and rough populations, for locating employers and candidates.

Populations are INSEE 2020 municipal populations rounded to the nearest 10,000 (written from memory of the
published table, good enough as sampling weights; they are not used as facts anywhere).
"""

from __future__ import annotations

import numpy as np

# code, name, région, population in thousands
DEPARTEMENTS: tuple[tuple[str, str, str, int], ...] = (
    ("01", "Ain", "Auvergne-Rhône-Alpes", 660),
    ("02", "Aisne", "Hauts-de-France", 530),
    ("03", "Allier", "Auvergne-Rhône-Alpes", 340),
    ("04", "Alpes-de-Haute-Provence", "Provence-Alpes-Côte d'Azur", 160),
    ("05", "Hautes-Alpes", "Provence-Alpes-Côte d'Azur", 140),
    ("06", "Alpes-Maritimes", "Provence-Alpes-Côte d'Azur", 1100),
    ("07", "Ardèche", "Auvergne-Rhône-Alpes", 330),
    ("08", "Ardennes", "Grand Est", 270),
    ("09", "Ariège", "Occitanie", 150),
    ("10", "Aube", "Grand Est", 310),
    ("11", "Aude", "Occitanie", 370),
    ("12", "Aveyron", "Occitanie", 280),
    ("13", "Bouches-du-Rhône", "Provence-Alpes-Côte d'Azur", 2040),
    ("14", "Calvados", "Normandie", 700),
    ("15", "Cantal", "Auvergne-Rhône-Alpes", 140),
    ("16", "Charente", "Nouvelle-Aquitaine", 350),
    ("17", "Charente-Maritime", "Nouvelle-Aquitaine", 660),
    ("18", "Cher", "Centre-Val de Loire", 300),
    ("19", "Corrèze", "Nouvelle-Aquitaine", 240),
    ("2A", "Corse-du-Sud", "Corse", 160),
    ("2B", "Haute-Corse", "Corse", 180),
    ("21", "Côte-d'Or", "Bourgogne-Franche-Comté", 530),
    ("22", "Côtes-d'Armor", "Bretagne", 600),
    ("23", "Creuse", "Nouvelle-Aquitaine", 120),
    ("24", "Dordogne", "Nouvelle-Aquitaine", 410),
    ("25", "Doubs", "Bourgogne-Franche-Comté", 540),
    ("26", "Drôme", "Auvergne-Rhône-Alpes", 520),
    ("27", "Eure", "Normandie", 600),
    ("28", "Eure-et-Loir", "Centre-Val de Loire", 430),
    ("29", "Finistère", "Bretagne", 920),
    ("30", "Gard", "Occitanie", 750),
    ("31", "Haute-Garonne", "Occitanie", 1420),
    ("32", "Gers", "Occitanie", 190),
    ("33", "Gironde", "Nouvelle-Aquitaine", 1640),
    ("34", "Hérault", "Occitanie", 1200),
    ("35", "Ille-et-Vilaine", "Bretagne", 1090),
    ("36", "Indre", "Centre-Val de Loire", 220),
    ("37", "Indre-et-Loire", "Centre-Val de Loire", 610),
    ("38", "Isère", "Auvergne-Rhône-Alpes", 1280),
    ("39", "Jura", "Bourgogne-Franche-Comté", 260),
    ("40", "Landes", "Nouvelle-Aquitaine", 420),
    ("41", "Loir-et-Cher", "Centre-Val de Loire", 330),
    ("42", "Loire", "Auvergne-Rhône-Alpes", 770),
    ("43", "Haute-Loire", "Auvergne-Rhône-Alpes", 230),
    ("44", "Loire-Atlantique", "Pays de la Loire", 1440),
    ("45", "Loiret", "Centre-Val de Loire", 680),
    ("46", "Lot", "Occitanie", 170),
    ("47", "Lot-et-Garonne", "Nouvelle-Aquitaine", 330),
    ("48", "Lozère", "Occitanie", 80),
    ("49", "Maine-et-Loire", "Pays de la Loire", 820),
    ("50", "Manche", "Normandie", 490),
    ("51", "Marne", "Grand Est", 570),
    ("52", "Haute-Marne", "Grand Est", 170),
    ("53", "Mayenne", "Pays de la Loire", 310),
    ("54", "Meurthe-et-Moselle", "Grand Est", 730),
    ("55", "Meuse", "Grand Est", 180),
    ("56", "Morbihan", "Bretagne", 760),
    ("57", "Moselle", "Grand Est", 1050),
    ("58", "Nièvre", "Bourgogne-Franche-Comté", 200),
    ("59", "Nord", "Hauts-de-France", 2610),
    ("60", "Oise", "Hauts-de-France", 830),
    ("61", "Orne", "Normandie", 280),
    ("62", "Pas-de-Calais", "Hauts-de-France", 1460),
    ("63", "Puy-de-Dôme", "Auvergne-Rhône-Alpes", 660),
    ("64", "Pyrénées-Atlantiques", "Nouvelle-Aquitaine", 690),
    ("65", "Hautes-Pyrénées", "Occitanie", 230),
    ("66", "Pyrénées-Orientales", "Occitanie", 480),
    ("67", "Bas-Rhin", "Grand Est", 1140),
    ("68", "Haut-Rhin", "Grand Est", 770),
    ("69", "Rhône", "Auvergne-Rhône-Alpes", 1880),
    ("70", "Haute-Saône", "Bourgogne-Franche-Comté", 230),
    ("71", "Saône-et-Loire", "Bourgogne-Franche-Comté", 550),
    ("72", "Sarthe", "Pays de la Loire", 560),
    ("73", "Savoie", "Auvergne-Rhône-Alpes", 440),
    ("74", "Haute-Savoie", "Auvergne-Rhône-Alpes", 830),
    ("75", "Paris", "Île-de-France", 2150),
    ("76", "Seine-Maritime", "Normandie", 1250),
    ("77", "Seine-et-Marne", "Île-de-France", 1430),
    ("78", "Yvelines", "Île-de-France", 1450),
    ("79", "Deux-Sèvres", "Nouvelle-Aquitaine", 370),
    ("80", "Somme", "Hauts-de-France", 570),
    ("81", "Tarn", "Occitanie", 390),
    ("82", "Tarn-et-Garonne", "Occitanie", 260),
    ("83", "Var", "Provence-Alpes-Côte d'Azur", 1090),
    ("84", "Vaucluse", "Provence-Alpes-Côte d'Azur", 560),
    ("85", "Vendée", "Pays de la Loire", 690),
    ("86", "Vienne", "Nouvelle-Aquitaine", 440),
    ("87", "Haute-Vienne", "Nouvelle-Aquitaine", 370),
    ("88", "Vosges", "Grand Est", 360),
    ("89", "Yonne", "Bourgogne-Franche-Comté", 330),
    ("90", "Territoire de Belfort", "Bourgogne-Franche-Comté", 140),
    ("91", "Essonne", "Île-de-France", 1310),
    ("92", "Hauts-de-Seine", "Île-de-France", 1630),
    ("93", "Seine-Saint-Denis", "Île-de-France", 1660),
    ("94", "Val-de-Marne", "Île-de-France", 1410),
    ("95", "Val-d'Oise", "Île-de-France", 1250),
    ("971", "Guadeloupe", "Guadeloupe", 380),
    ("972", "Martinique", "Martinique", 360),
    ("973", "Guyane", "Guyane", 290),
    ("974", "La Réunion", "La Réunion", 870),
    ("976", "Mayotte", "Mayotte", 280),
)

CODES: tuple[str, ...] = tuple(d[0] for d in DEPARTEMENTS)
NAMES: tuple[str, ...] = tuple(d[1] for d in DEPARTEMENTS)
REGIONS: tuple[str, ...] = tuple(sorted({d[2] for d in DEPARTEMENTS}))
REGION_OF: np.ndarray = np.array([REGIONS.index(d[2]) for d in DEPARTEMENTS], dtype=np.int16)
POPULATION: np.ndarray = np.array([d[3] for d in DEPARTEMENTS], dtype=np.float64)
WEIGHTS: np.ndarray = POPULATION / POPULATION.sum()


def proximity(home: np.ndarray, target: np.ndarray | int) -> np.ndarray:
    """1 in the same département, 0.5 in the same région, 0 elsewhere (indices into DEPARTEMENTS)."""
    same_dep = home == target
    same_region = REGION_OF[home] == REGION_OF[target]
    return np.where(same_dep, 1.0, np.where(same_region, 0.5, 0.0))
