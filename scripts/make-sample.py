#!/usr/bin/python3
"""Write examples/data/sample-households.csv: a small, deterministic household file for the
quick start (hhid, province, urban, weight, hhsize, pcexp, povline). Synthetic, not real data;
`pkh synth` makes larger, calibrated samples."""
import math
import random
import sys

PROVINCES = [  # (BPS code, name, poverty line urban, rural: rough 2019 magnitudes, Rupiah)
    (11, "Aceh", 520000, 480000), (12, "Sumatera Utara", 490000, 450000),
    (13, "Sumatera Barat", 530000, 490000), (14, "Riau", 540000, 500000),
    (15, "Jambi", 500000, 430000), (16, "Sumatera Selatan", 460000, 410000),
    (17, "Bengkulu", 540000, 490000), (18, "Lampung", 460000, 420000),
    (19, "Kepulauan Bangka Belitung", 690000, 720000), (21, "Kepulauan Riau", 620000, 560000),
    (31, "DKI Jakarta", 637260, 637260), (32, "Jawa Barat", 410000, 400000),
    (33, "Jawa Tengah", 380000, 370000), (34, "DI Yogyakarta", 440000, 400000),
    (35, "Jawa Timur", 400000, 380000), (36, "Banten", 480000, 430000),
    (51, "Bali", 410000, 380000), (52, "Nusa Tenggara Barat", 420000, 380000),
    (53, "Nusa Tenggara Timur", 440000, 360000), (61, "Kalimantan Barat", 470000, 430000),
    (62, "Kalimantan Tengah", 460000, 450000), (63, "Kalimantan Selatan", 480000, 450000),
    (64, "Kalimantan Timur", 640000, 610000), (65, "Kalimantan Utara", 680000, 650000),
    (71, "Sulawesi Utara", 400000, 380000), (72, "Sulawesi Tengah", 480000, 440000),
    (73, "Sulawesi Selatan", 350000, 330000), (74, "Sulawesi Tenggara", 327402, 320000),
    (75, "Gorontalo", 380000, 360000), (76, "Sulawesi Barat", 360000, 350000),
    (81, "Maluku", 530000, 520000), (82, "Maluku Utara", 500000, 470000),
    (91, "Papua Barat", 610000, 600000), (94, "Papua", 600000, 560000),
]

def main(path, n=3000, seed=2019):
    rng = random.Random(seed)
    with open(path, "w", newline="") as f:
        f.write("hhid,province,urban,weight,hhsize,pcexp,povline\n")
        for i in range(1, n + 1):
            code, name, zu, zr = PROVINCES[rng.randrange(len(PROVINCES))]
            urban = 1 if rng.random() < 0.55 else 0
            z = zu if urban else zr
            size = max(1, min(12, int(round(rng.gauss(3.9, 1.6)))))
            mu = math.log(z) + (0.75 if urban else 0.55) - 0.05 * (size - 4)
            pcexp = round(math.exp(rng.gauss(mu, 0.55)), 2)
            weight = round(rng.uniform(150, 400) * (0.8 if urban else 1.2), 2)
            f.write(f"{i},{name},{urban},{weight},{size},{pcexp},{z}\n")

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "examples/data/sample-households.csv")
