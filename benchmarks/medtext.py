"""A realistic medical vocabulary and cheap per-row text for the benchmark generators.

Tiny vocabularies hide costs and make most rows exact duplicates (a CORD-19 file built
from 400 title combinations loses 92% of its rows to exact dedup). Here every sentence
is composed per call from pools of drugs, diseases, organs, findings, tests, populations
and outcomes, with numbers: ~10^9 combinations per sentence, so texts repeat only where a
generator plants a repeat on purpose. One call costs a few microseconds; generators that
need long texts join per-row picks from a large pool of these sentences instead.
"""

from __future__ import annotations

import random

DRUGS = (
    *("metformin", "insulin glargine", "empagliflozin", "dapagliflozin", "sitagliptin"),
    *("liraglutide", "semaglutide", "gliclazide", "pioglitazone", "atorvastatin"),
    *("rosuvastatin", "simvastatin", "ezetimibe", "aspirin", "clopidogrel", "ticagrelor"),
    *("warfarin", "apixaban", "rivaroxaban", "dabigatran", "enoxaparin", "heparin"),
    *("lisinopril", "ramipril", "enalapril", "losartan", "valsartan", "amlodipine"),
    *("nifedipine", "diltiazem", "verapamil", "metoprolol", "bisoprolol", "carvedilol"),
    *("propranolol", "furosemide", "bumetanide", "spironolactone", "hydrochlorothiazide"),
    *("digoxin", "amiodarone", "sacubitril", "ivabradine", "nitroglycerin", "omeprazole"),
    *("pantoprazole", "ranitidine", "ondansetron", "metoclopramide", "loperamide"),
    *("mesalamine", "infliximab", "adalimumab", "vedolizumab", "prednisolone"),
    *("dexamethasone", "hydrocortisone", "methotrexate", "azathioprine", "tacrolimus"),
    *("cyclosporine", "mycophenolate", "rituximab", "tocilizumab", "hydroxychloroquine"),
    *("amoxicillin", "co-amoxiclav", "ceftriaxone", "cefuroxime", "piperacillin"),
    *("meropenem", "vancomycin", "linezolid", "doxycycline", "azithromycin"),
    *("clarithromycin", "ciprofloxacin", "levofloxacin", "nitrofurantoin", "trimethoprim"),
    *("metronidazole", "clindamycin", "gentamicin", "fluconazole", "acyclovir"),
    *("oseltamivir", "remdesivir", "tenofovir", "dolutegravir", "isoniazid", "rifampicin"),
    *("paracetamol", "ibuprofen", "naproxen", "diclofenac", "morphine", "oxycodone"),
    *("tramadol", "gabapentin", "pregabalin", "amitriptyline", "sertraline"),
    *("fluoxetine", "citalopram", "escitalopram", "venlafaxine", "mirtazapine"),
    *("lithium", "valproate", "lamotrigine", "levetiracetam", "carbamazepine"),
    *("phenytoin", "olanzapine", "quetiapine", "risperidone", "haloperidol"),
    *("lorazepam", "diazepam", "zolpidem", "levothyroxine", "carbimazole"),
    *("alendronate", "denosumab", "allopurinol", "colchicine", "salbutamol"),
    *("tiotropium", "budesonide", "fluticasone", "montelukast", "tamsulosin"),
    *("finasteride", "sildenafil", "oxytocin", "misoprostol", "folic acid"),
    *("ferrous sulfate", "vitamin D", "vitamin B12", "magnesium sulfate", "potassium chloride"),
)
DISEASES = (
    *("type 2 diabetes", "type 1 diabetes", "hypertension", "heart failure"),
    *("atrial fibrillation", "acute myocardial infarction", "stable angina"),
    *("pulmonary embolism", "deep vein thrombosis", "ischaemic stroke", "subarachnoid haemorrhage"),
    *("asthma", "COPD", "community-acquired pneumonia", "tuberculosis", "bronchiectasis"),
    *("idiopathic pulmonary fibrosis", "sarcoidosis", "obstructive sleep apnoea"),
    *("chronic kidney disease", "acute kidney injury", "nephrotic syndrome", "IgA nephropathy"),
    *("polycystic kidney disease", "urinary tract infection", "pyelonephritis"),
    *("Crohn's disease", "ulcerative colitis", "coeliac disease", "irritable bowel syndrome"),
    *("peptic ulcer disease", "gastro-oesophageal reflux", "acute pancreatitis"),
    *("liver cirrhosis", "hepatitis B", "hepatitis C", "non-alcoholic fatty liver disease"),
    *("primary biliary cholangitis", "cholecystitis", "appendicitis", "diverticulitis"),
    *("rheumatoid arthritis", "osteoarthritis", "gout", "systemic lupus erythematosus"),
    *("ankylosing spondylitis", "psoriatic arthritis", "giant cell arteritis", "osteoporosis"),
    *("hypothyroidism", "Graves' disease", "Cushing's syndrome", "Addison's disease"),
    *("hyperparathyroidism", "polycystic ovary syndrome", "endometriosis", "pre-eclampsia"),
    *("gestational diabetes", "iron deficiency anaemia", "sickle cell disease"),
    *("beta thalassaemia", "immune thrombocytopenia", "multiple myeloma", "Hodgkin lymphoma"),
    *("chronic lymphocytic leukaemia", "acute myeloid leukaemia", "breast cancer"),
    *("prostate cancer", "colorectal cancer", "non-small cell lung cancer", "melanoma"),
    *("pancreatic cancer", "ovarian cancer", "glioblastoma", "hepatocellular carcinoma"),
    *("major depressive disorder", "bipolar disorder", "schizophrenia"),
    *("generalised anxiety disorder", "Alzheimer's disease", "Parkinson's disease"),
    *("multiple sclerosis", "epilepsy", "migraine", "myasthenia gravis"),
    *("Guillain-Barre syndrome", "bacterial meningitis", "sepsis", "HIV infection"),
    *("COVID-19", "influenza", "malaria", "dengue", "Lyme disease", "cellulitis"),
    *("psoriasis", "atopic dermatitis", "glaucoma", "age-related macular degeneration"),
)
ORGANS = (
    *("heart", "left ventricle", "aortic valve", "coronary arteries", "lung", "pleura"),
    *("kidney", "glomerulus", "bladder", "prostate", "liver", "gallbladder", "pancreas"),
    *("stomach", "duodenum", "small bowel", "colon", "spleen", "thyroid", "adrenal gland"),
    *("pituitary", "brain", "spinal cord", "peripheral nerves", "retina", "skin"),
    *("bone marrow", "lymph nodes", "knee joint", "hip joint", "lumbar spine", "uterus"),
)
FINDINGS = (
    *("chest pain", "shortness of breath", "a productive cough", "haemoptysis", "fever"),
    *("night sweats", "weight loss", "fatigue", "palpitations", "syncope", "ankle oedema"),
    *("abdominal pain", "nausea and vomiting", "diarrhoea", "rectal bleeding", "jaundice"),
    *("dysphagia", "heartburn", "headache", "dizziness", "confusion", "seizures"),
    *("numbness in the feet", "blurred vision", "joint swelling", "morning stiffness"),
    *("back pain", "a skin rash", "itching", "hair loss", "polyuria", "excessive thirst"),
    *("dysuria", "haematuria", "pelvic pain", "irregular periods", "low mood", "insomnia"),
    *("tremor", "muscle weakness", "a painless neck lump", "hoarseness", "wheezing"),
)
TESTS = (
    *("a full blood count", "serum creatinine", "eGFR", "HbA1c", "fasting glucose"),
    *("a lipid profile", "liver function tests", "TSH", "free T4", "serum ferritin"),
    *("C-reactive protein", "ESR", "troponin", "BNP", "D-dimer", "an arterial blood gas"),
    *("urinalysis", "a urine culture", "blood cultures", "an ECG", "an echocardiogram"),
    *("a chest X-ray", "CT of the chest", "CT pulmonary angiography", "MRI of the brain"),
    *("an abdominal ultrasound", "colonoscopy", "upper endoscopy", "spirometry"),
    *("a lumbar puncture", "an EEG", "a bone density scan", "a skin biopsy", "PSA"),
)
POPULATIONS = (
    *("adults", "older adults", "children", "adolescents", "neonates", "pregnant women"),
    *("postmenopausal women", "men over 50", "nursing home residents", "outpatients"),
    *("inpatients", "ICU patients", "smokers", "obese adults", "patients on dialysis"),
    *("kidney transplant recipients", "health care workers", "veterans", "athletes"),
    *("people living with HIV", "primary care patients", "rural populations"),
)
OUTCOMES = (
    *("all-cause mortality", "cardiovascular death", "hospital readmission"),
    *("length of hospital stay", "admission to intensive care", "quality of life"),
    *("pain scores", "HbA1c at 12 months", "systolic blood pressure", "LDL cholesterol"),
    *("eGFR decline", "progression to dialysis", "relapse", "remission at week 52"),
    *("time to recovery", "symptom duration", "major bleeding", "recurrent stroke"),
    *("fracture risk", "viral load", "antibody titres", "treatment adherence"),
    *("hospital-acquired infection", "delirium", "functional independence", "weight change"),
)
DESIGNS = (
    *("a randomised controlled trial", "a retrospective cohort study", "a prospective cohort"),
    *("a case-control study", "a cross-sectional survey", "a systematic review"),
    *("a meta-analysis", "a pilot study", "a registry analysis", "a case series"),
    *("a multicentre trial", "a modelling study", "a qualitative study"),
)
COUNTRIES = (
    *("China", "the United States", "Italy", "Spain", "Brazil", "India", "Germany", "Japan"),
    *("South Korea", "the United Kingdom", "France", "Canada", "Nigeria", "Iran", "Mexico"),
    *("Sweden", "Denmark", "Australia", "South Africa", "Turkey", "Egypt", "Kenya", "Peru"),
)
EFFECTS = (
    *("was associated with", "reduced", "increased", "did not change", "predicted"),
    *("delayed", "improved", "worsened", "was not associated with", "halved", "doubled"),
    *("modestly lowered", "significantly raised", "was independently linked to"),
)

_SENTENCES = (
    "{Drug} {effect} {outcome} in {n} {population} with {disease}",
    "In {population} with {disease}, {test} {effect} {outcome} (p = 0.{p:02d})",
    "We enrolled {n} {population} with {disease} in {country} between {y1} and {y2}",
    "{Disease} often presents with {finding} and {finding2}",
    "Patients with {disease} who received {drug} had {pct}% lower {outcome}",
    "The {organ} is commonly affected in {disease}, causing {finding}",
    "{Test} showed abnormalities in {pct}% of {population} with {disease}",
    "Treatment with {drug} at {dose} mg daily {effect} {outcome} after {k} weeks",
    "{Finding} for {k} days should prompt {test} to exclude {disease}",
    "Compared with {drug2}, {drug} {effect} {outcome} (hazard ratio {hr}, {n} {population})",
    "{Design} in {country} found that {disease} {effect} {outcome}",
    "The median follow-up was {k} months and {pct}% of {population} had {finding}",
    "{Drug} should be avoided in {disease} because of the risk to the {organ}",
    "Among {n} {population}, {outcome} occurred in {pct}% of those given {drug}",
    "Adding {drug} to {drug2} {effect} {outcome} in {disease}",
)


def _fill(rng: random.Random, template: str) -> str:
    c = rng.choice
    drug, disease, finding, test = c(DRUGS), c(DISEASES), c(FINDINGS), c(TESTS)
    outcome, design = c(OUTCOMES), c(DESIGNS)
    text = template.format(
        drug=drug,
        Drug=drug,
        drug2=c(DRUGS),
        disease=disease,
        Disease=disease,
        finding=finding,
        Finding=finding,
        finding2=c(FINDINGS),
        test=test,
        Test=test,
        organ=c(ORGANS),
        population=c(POPULATIONS),
        outcome=outcome,
        Outcome=outcome,
        design=design,
        Design=design,
        country=c(COUNTRIES),
        effect=c(EFFECTS),
        n=rng.randint(12, 9000),
        k=rng.randint(2, 60),
        p=rng.randint(1, 99),
        pct=rng.randint(2, 95),
        dose=c((5, 10, 20, 25, 40, 50, 80, 100, 250, 500, 1000)),
        hr=f"{rng.uniform(0.4, 1.9):.2f}",
        y1=rng.randint(1995, 2012),
        y2=rng.randint(2013, 2022),
    )
    return text[0].upper() + text[1:]


def sentence(rng: random.Random) -> str:
    """One medical-sounding sentence with its full stop, composed per call."""
    return _fill(rng, rng.choice(_SENTENCES)) + "."


def sentences(rng: random.Random, k: int) -> str:
    """`k` sentences joined by spaces."""
    return " ".join(sentence(rng) for _ in range(k))


_TITLES = (
    "{Drug} versus {drug2} for {disease} in {population}: {design}",
    "{Outcome} after {disease} in {country}: {design} of {n} patients",
    "Effect of {drug} on {outcome} in {population} with {disease}, {y1}-{y2}",
    "{Test} for the early diagnosis of {disease} in {population} in {country}",
    "{Disease} and {outcome} in {n} {population}: {design}",
    "Risk factors for {disease} among {population} in {country}, {y1}-{y2}",
    "{Finding} as a presenting feature of {disease} in {population}: {design}",
    "Long-term {drug} use and {outcome} in {disease}: {k}-year follow-up",
)


def title(rng: random.Random) -> str:
    """A paper-like title, composed per call (~10^8 combinations before numbers)."""
    return _fill(rng, rng.choice(_TITLES))


_QUESTIONS = (
    "What is the mechanism of action of {drug} in {disease}?",
    "What is the first-line treatment for {disease} in {population}?",
    "Which test confirms {disease} in a patient with {finding}?",
    "What is a common adverse effect of {drug} on the {organ} in {population}?",
    "Why is {drug} avoided in {population} with {disease}?",
    "How does {drug} change {outcome} in {disease}?",
    "What does {test} show in {disease} with {finding}?",
    "How does {disease} affect the {organ}, and what does {test} show?",
    "What dose of {drug} is used for {disease} in {population}?",
    "How should {finding} be investigated in {population} with {disease}?",
    "What interaction is expected between {drug} and {drug2} in {disease}?",
    "Which finding distinguishes {disease} from {disease2} in {population}?",
)


def question(rng: random.Random) -> str:
    """A short exam-style question, composed per call."""
    template = rng.choice(_QUESTIONS).replace("{disease2}", rng.choice(DISEASES))
    return _fill(rng, template)
