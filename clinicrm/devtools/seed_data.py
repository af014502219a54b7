"""Names and the run report shared by the demo seed modules (seed.py and the seed_* it calls)."""

from dataclasses import dataclass, field

DEMO_PASSWORD = "demo-clinicrm-2026"

FIRST_NAMES = (
    "Ana", "Beatriz", "Camila", "Daniela", "Eduarda", "Fernanda", "Gabriela", "Isabela", "Larissa",
    "Luana", "Mariana", "Natália", "Paula", "Rafaela", "Sofia", "Tatiane", "Vanessa", "Yasmin",
    "André", "Bruno", "Caio", "Diego", "Eduardo", "Felipe", "Gustavo", "Henrique", "Igor",
    "João", "Lucas", "Matheus", "Otávio", "Pedro", "Rodrigo", "Thiago", "Vinícius", "Wesley",
)  # fmt: skip
SURNAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
    "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes",
    "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques",
    "Machado", "Mendes", "Freitas", "Cardoso", "Ramos", "Teixeira", "Araújo", "Correia",
)  # fmt: skip


@dataclass
class SeedReport:
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (tenant, role, e-mail)
    password: str = DEMO_PASSWORD
    created: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n
