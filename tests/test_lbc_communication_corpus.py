"""Label bas carbone, art. 30: what a communication may not suggest, and how it states a forecast, on a corpus.

Art. 30: "Cette communication ne doit pas laisser supposer que l'acquisition de crédits carbone atteste de la
réalisation d'un bilan carbone, d'un effort de réduction des émissions du bénéficiaire, ou de la neutralité carbone du
bénéficiaire." — "La communication du demandeur ou des bénéficiaires des crédits carbone ne doit pas laisser supposer
que la labellisation porte sur un produit ou un service commercialisé." — and, before verification, "mentionner
explicitement le caractère prévisionnel de quantité de crédits carbone potentiels annoncée en utilisant, à titre
d'exemple, les termes « estimés à », « potentiels », « conditionnels » ou l'adverbe « environ »".

The detection reads what the article forbids, not a few word orders (decisions communication-claims and
communication-mention): each wording below, forbidden or allowed, is written as a real communication would write
it — the neutrality "of our company", in the passive voice, "assurée par" or "atteinte grâce à" the credits; the
national goal, a negation, an aspiration, the project itself labelled — and judged whole, in a text that names
the project and carries the sentences article 30 requires, so that the only breach is the one the wording makes.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import judge

from engine import Library

LBC = "label-bas-carbone"
PROJECT = "Haies du Bocage"
VERIFICATION_SENTENCE = (
    "La valeur définitive de l'estimation ne sera établie qu'après vérification du projet par un auditeur indépendant "
    "et la signature d'une décision administrative de vérification."
)

# (the sentence, the claims it makes)
CLAIMS: list[tuple[str, set[str]]] = [
    ("Grâce à l'achat de crédits Label bas carbone, notre entreprise est désormais neutre en carbone.", {'carbon_neutral'}),
    ("La neutralité carbone de notre entreprise est assurée par l'acquisition de 500 crédits carbone issus du projet Forêt de Brocéliande.", {'carbon_neutral'}),
    ('La neutralité carbone de nos activités est atteinte grâce aux crédits du projet Haies du Bocage.', {'carbon_neutral'}),
    ('Nous avons atteint la neutralité carbone en finançant la replantation de la forêt domaniale de Saint-Gobain.', {'carbon_neutral'}),
    ('Notre site de Lyon est certifié neutre en CO2 grâce aux crédits Label bas carbone.', {'carbon_neutral'}),
    ('Nos livraisons sont 100 % neutres pour le climat.', {'carbon_neutral'}),
    ('Avec ces 1 200 crédits, le groupe devient carboneutre dès cette année.', {'carbon_neutral'}),
    ("Le salon a été rendu neutre en carbone par l'achat de crédits issus d'un projet de haies bocagères.", {'carbon_neutral'}),
    ('Notre empreinte carbone est désormais nulle grâce à la plantation de haies en Mayenne.', {'carbon_neutral'}),
    ("Notre activité est climatiquement neutre depuis l'achat de crédits Label bas carbone.", {'carbon_neutral'}),
    ('Nous sommes net zéro grâce aux crédits du projet Bois de la Roche.', {'carbon_neutral'}),
    ('Cette acquisition garantit la neutralité carbone de la société Dupont SA.', {'carbon_neutral'}),
    ('La société est neutre en carbone.', {'carbon_neutral'}),
    ('Notre neutralité carbone est obtenue par la compensation de nos émissions résiduelles avec des crédits Label bas carbone.', {'carbon_neutral'}),
    ('Commandez nos cafés neutres en carbone, issus de torréfacteurs engagés.', {'carbon_neutral'}),
    ('Ces crédits contribuent à notre neutralité carbone.', {'carbon_neutral'}),
    ("Objectif atteint : zéro émission nette pour l'ensemble du groupe grâce aux crédits achetés.", {'carbon_neutral'}),
    ('Nous compensons nos émissions résiduelles pour atteindre la neutralité carbone.', {'carbon_neutral'}),
    ("Ce financement contribue à l'objectif national de neutralité carbone à l'horizon 2050.", set()),
    ("Le projet participe à l'effort collectif vers la neutralité carbone de la France.", set()),
    ('La stratégie nationale bas-carbone vise la neutralité carbone en 2050.', set()),
    ("Nous visons la neutralité carbone de nos sites d'ici 2040 en réduisant nos propres émissions.", set()),
    ('Pour une France neutre en carbone en 2050, nous finançons le projet Haies du Bocage.', set()),
    ('Ces crédits ne font pas de nous une entreprise neutre en carbone.', set()),
    ('Grâce aux crédits achetés, nous contribuons à la neutralité carbone, qui est un objectif collectif.', set()),
    ("L'acquisition de crédits n'atteste pas de notre neutralité carbone.", set()),
    ('Nos clients voyagent neutre en carbone.', {'carbon_neutral'}),
    ('Avec nos partenaires agricoles, nous tendons vers la neutralité carbone.', set()),
    ('Nos émissions de 2024 sont entièrement compensées par des crédits carbone du projet Bois Joli.', {'full_offsetting'}),
    ('Nous compensons la totalité de nos émissions grâce au Label bas carbone.', {'full_offsetting'}),
    ("L'ensemble de nos émissions de transport est désormais compensé.", {'full_offsetting'}),
    ("Nous ne compensons pas l'intégralité de nos émissions : nous les réduisons d'abord.", set()),
    ('Les crédits achetés compensent 100 % de nos émissions.', {'full_offsetting'}),
    ("L'achat de ces crédits atteste de la réalisation de notre bilan carbone.", {'carbon_assessment'}),
    ('Notre bilan carbone est validé par le Label bas carbone.', {'carbon_assessment'}),
    ('Notre bilan carbone est certifié par le Label bas-carbone.', {'carbon_assessment'}),
    ('Ces crédits valent bilan carbone pour nos clients.', {'carbon_assessment'}),
    ("Le financement de ce projet tient lieu de bilan carbone pour l'exercice 2025.", {'carbon_assessment'}),
    ('Nous avons réalisé notre bilan carbone en 2023 avec un cabinet indépendant, puis réduit nos émissions de 18 %.', set()),
    ('Acheter des crédits carbone ne remplace pas un bilan carbone.', set()),
    ('Notre bilan carbone a été certifié par un organisme indépendant en 2024.', set()),
    ("Grâce à l'achat de crédits carbone, nous réduisons nos émissions de 30 %.", {'reduction_effort'}),
    ('Nos émissions ont baissé de 1 200 tonnes grâce aux crédits achetés au projet Forêt du Morvan.', {'reduction_effort'}),
    ('En finançant ce projet, nous avons réduit notre empreinte carbone.', {'reduction_effort'}),
    ("L'acquisition de ces crédits représente notre effort de réduction pour 2025.", {'reduction_effort'}),
    ('Nous avons réduit nos émissions de 25 % depuis 2019 ; en complément, nous finançons le projet Haies du Bocage.', set()),
    ("Le projet réduit les émissions de l'exploitation de 300 tCO2e par an.", set()),
    ('Grâce à la rénovation de nos entrepôts, nous avons diminué nos émissions de 12 %.', set()),
    ('Après avoir réduit nos émissions de 35 %, nous allons plus loin en finançant 500 crédits carbone.', set()),
    ('En finançant des crédits carbone, nous complétons les efforts qui ont réduit nos émissions de 35 %.', set()),
    ('Nous réduisons nos émissions grâce aux crédits du projet Haies du Bocage.', {'reduction_effort'}),
    ('Grâce aux crédits achetés, nos émissions nettes ont baissé de 15 %.', {'reduction_effort'}),
    ('Nos émissions ont été réduites de moitié via le projet Haies du Bocage.', {'reduction_effort'}),
    ("Grâce à nos actions et à l'achat de crédits, notre empreinte carbone a diminué de 40 %.", {'reduction_effort'}),
    ('En parallèle de la réduction de nos émissions (-30 % depuis 2019), nous soutenons le projet Haies du Bocage.', set()),
    ('Nos yaourts sont labellisés bas carbone.', {'labelled_product'}),
    ('Découvrez notre gamme de produits labellisés Label bas carbone.', {'labelled_product'}),
    ('Nos bouteilles sont labellisées bas-carbone depuis janvier.', {'labelled_product'}),
    ('Ce service de livraison bénéficie du Label bas carbone.', {'label_on_product'}),
    ('Le Label bas carbone figure désormais sur nos emballages.', {'label_on_product'}),
    ('Nos produits Label bas carbone sont disponibles en magasin.', {'label_on_product'}),
    ('Le projet Haies du Bocage est labellisé Label bas carbone depuis 2023.', set()),
    ("Nos fromages sont issus d'exploitations engagées dans un projet labellisé bas carbone.", set()),
    ('Notre projet de boisement a obtenu le Label bas carbone en 2023.', set()),
    ('Seul le projet est labellisé, pas nos produits.', set()),
    ('Le projet « Boisement des Hauts de Sèvre », labellisé le 12 mars 2024, prévoit la plantation de 14 hectares de chênes sessiles.', set()),
    ('Nous avons financé 1 500 crédits carbone issus du projet « Boisement des Hauts de Sèvre » (LBC-2024-0212), labellisé Label bas-carbone.', set()),
    ('Le Label bas carbone certifie nos produits.', {'label_on_product'}),
    ('Cette bouteille est certifiée Label bas carbone.', {'label_on_product'}),
    ('Achetez le premier jambon bas carbone labellisé !', {'labelled_product'}),
    ('Le projet Haies du Bocage, labellisé en 2023, a généré 1 200 crédits carbone vérifiés.', set()),
    ("Les crédits carbone que nous avons acquis proviennent d'un projet labellisé.", set()),
]

# (a sentence announcing a quantity of credits not yet verified, whether it states its forecast character)
HEDGES: list[tuple[str, bool]] = [
    ('Le projet devrait générer 4 300 crédits carbone estimés sur 30 ans.', True),
    ('Le projet représente 4 300 crédits carbone estimés.', True),
    ('Le projet permettra de séquestrer près de 4 300 tCO2e.', True),
    ('Le projet générera environ 4 300 crédits carbone.', True),
    ('Le projet représente 4 300 crédits carbone potentiels.', True),
    ("Le projet générera de l'ordre de 4 300 crédits carbone.", True),
    ('Quelque 4 300 crédits carbone sont attendus du projet.', True),
    ('Le projet a été estimé à 4 300 crédits carbone.', True),
    ('Le projet portera 4 300 crédits carbone prévisionnels.', True),
    ("Le projet pourrait générer jusqu'à 4 300 crédits carbone.", True),
    ('Les 4 300 crédits carbone conditionnels du projet seront vérifiés en 2030.', True),
    ('Le projet générera 4 300 crédits carbone.', False),
    ("Le projet produira 4 300 crédits carbone d'ici 2050.", False),
    ('Le projet séquestrera 4 300 tonnes de CO2.', False),
    ('Le projet près de Lyon générera 4 300 crédits carbone.', False),
    ('Avec 4 300 crédits carbone, ce projet est le plus grand de la région.', False),
]


def review(library: Library, text: str, **facts: Any) -> dict[str, Any]:
    facts = {"text": text, "author": "beneficiary", "credits_verified": True, "credits_retired": True,
             "project_names": [PROJECT, "LBC-2023-0418"], "prior_actions_described": True, **facts}
    return judge(library, "communication_review", facts, "2023-06-12", "2026-02-16", scheme=LBC, runtime="compiled")


def test_the_corpus_is_large_and_balanced() -> None:
    assert len(CLAIMS) >= 40
    assert sum(1 for _, found in CLAIMS if found) >= 20 and sum(1 for _, found in CLAIMS if not found) >= 20
    assert {c for _, found in CLAIMS for c in found} == {
        "carbon_neutral", "full_offsetting", "carbon_assessment", "reduction_effort", "labelled_product", "label_on_product",
    }


@pytest.mark.parametrize(("sentence", "claims"), CLAIMS, ids=[s[:60] for s, _ in CLAIMS])
def test_a_communication_makes_the_claims_its_wording_makes(library: Library, sentence: str, claims: set[str]) -> None:
    text = (f"Depuis 2023, nous soutenons le projet « {PROJECT} » (LBC-2023-0418), qui replante des haies en Mayenne. "
            f"{sentence} Retrouvez le détail de notre démarche dans notre rapport annuel.")
    decision = review(library, text)
    found = {c["id"]: c["passages"] for c in decision["values"]["claims_found"]}
    assert set(found) == claims, decision["values"]["claims_found"]
    assert all(passages == [sentence] for passages in found.values())
    assert decision["outcome"] == ("non_compliant" if claims else "compliant"), decision["findings"]


@pytest.mark.parametrize(("sentence", "hedged"), HEDGES, ids=[s[:60] for s, _ in HEDGES])
def test_a_quantity_announced_before_verification_states_its_forecast_character(library: Library, sentence: str, hedged: bool) -> None:
    text = f"Le projet « {PROJECT} » est labellisé depuis mars 2024. {sentence} {VERIFICATION_SENTENCE}"
    decision = review(library, text, author="project_holder", credits_verified=False, credits_retired=False, project_names=[PROJECT])
    assert decision["values"]["unhedged_sentences"] == ([] if hedged else [sentence])
    assert decision["outcome"] == ("compliant" if hedged else "non_compliant"), decision["findings"]
