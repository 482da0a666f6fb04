"""Which capitalised words may be names: the word lists the PII scrub's name patterns
consult once a candidate is found (`meadow.quality.pii`). Apart from the patterns so that
each file reads as one thing: the patterns there, the vocabulary here.
"""

from __future__ import annotations

from meadow.quality.text import word_list

# Capitalised words that follow a greeting, a title or a relation but are not names.
NOT_NAMES = frozenset(
    w.casefold()
    for w in word_list(
        """
    I I'm I’m Im I've I'll I'd It's My Me We Our You Your He She His Her It Its They Their
    This That These Those There
    Here Thanks Thank Thankyou Welcome Please Sorry Good Great Nice Well Yes No Ok Okay So
    And But Also As After Before Since From Based Being In On At For With To The A An All
    Everyone Everybody Anyone Friend Friends Team Guys Folks Sir Sirs Madam Mam Maam Dear
    Doctor Doctors Dr Mr Mrs Ms Miss Prof Chat ChatDoctor Hi Hello Hey Greetings Regards
    Bye Take Care Hope Best Kind Warm Wish Mom Mum Dad Mother Father Son Daughter Baby
    Patient Patients User Users Admin Moderator How What Why When Where Who Which Can Could
    Would Should Will Do Does Did Is Are Was Were Have Has Had Let Just Again Today Tonight
    Morning Evening Afternoon God Lord Jesus Allah Not Very Really Still Now Currently
    Sincerely Cheers Urgent Important Help Waiting Anonymous Amen Bless Get Stay Safe Kindly
    Asap Please Thx Tia Type Stage Grade Day Week Month Year Monday Tuesday Wednesday
    Thursday Friday Saturday Sunday Hospital Clinic Center Centre Emergency Department
    Worried Anxious Concerned Confused Scared Afraid Frightened Desperate Depressed Stressed
    Tired Exhausted Sick Ill Fine Frustrated Helpless Hopeless Hopeful Grateful Thankful
    Sad Upset Nervous Curious Pregnant Male Female Married Single Divorced Widowed Healthy
    Diabetic Hypertensive Asthmatic Epileptic Allergic Anemic Anaemic Obese Overweight
    Underweight Vegetarian Vegan Suicidal Insomniac Celiac Coeliac Positive Negative Normal
    Sure Unsure New Old Young Little Lucky Blessed Mother Wife Husband Sister Brother Parent
    Parents Family Guy Girl Boy Lady Man Woman Reader Member Sufferer Survivor Caregiver
    Carer Nurse Physician Consultant Surgeon Pediatrician Student Teacher Grandma Grandpa
    Granny Grandmother Grandfather Grandson Granddaughter Aunt Uncle Mommy Daddy Mama Papa
    Indian American British English Canadian Australian Pakistani Nigerian Chinese Filipino
    Muslim Christian Hindu Catholic Jewish Vitamin Vit Iron Calcium Zinc Magnesium Folic
    Omega Probiotic Antibiotic Antibiotics Steroid Steroids Insulin Aspirin Tylenol Advil
    Motrin Aleve Panadol Calpol Crocin Dolo Benadryl Zyrtec Claritin Allegra Xanax Valium
    Zoloft Prozac Lexapro Ativan Klonopin Adderall Ritalin Lipitor Crestor Norvasc Glucophage
    Januvia Ozempic Wegovy Mounjaro Viagra Cialis Plavix Eliquis Xarelto Coumadin Lasix
    Synthroid Eltroxin Thyroxine Augmentin Ventolin Morphine Codeine Tramadol Lithium
    Heparin Warfarin Digoxin Melatonin Lyrica Mirena Yasmin Inhaler Tablet Tablets Medicine
    Medicines Syrup Cream Alzheimer Alzheimers Parkinson Parkinsons Crohn Crohns Hashimoto
    Cushing Hodgkin Huntington Raynaud Sjogren Tourette Meniere Guillain Kawasaki Marfan
    Asperger Behcet Prescribed Prescribes Referred Refers Suggested Suggests Advised Advises
    Recommended Diagnosed Said Says Told Tells Gave Gives Asked Asks Started Stopped Changed
    Increased Reduced Checked Examined Ordered Took Takes Thinks Wants Wanted Denies Denied
    Complains Complained Feels Felt Got Gets Went Goes Came Comes Needs Needed
    """
    )
)
# Roles and relations: a capitalised candidate that runs into one is a description
# ("Worried Mom", "Lucky Father"), not a name, so none of it is replaced.
ROLES = frozenset(
    w.casefold()
    for w in word_list(
        """
    Mom Mum Dad Mother Father Son Daughter Baby Patient Wife Husband Sister Brother Parent
    Parents Family Guy Girl Boy Lady Man Woman Reader Member Sufferer Survivor Caregiver
    Carer Nurse Physician Consultant Surgeon Pediatrician Student Teacher Grandma Grandpa
    Granny Grandmother Grandfather Aunt Uncle Mommy Daddy Mama Papa Friend User Doctor
    """
    )
)
# Stems that end drug names (INN stems) and adjectives; a word of seven letters or more
# ending in one is not a name ("Metformin", "Hypertensive"; "April" and "Eric" are short).
NOT_NAME_ENDINGS = tuple(
    word_list(
        """
    formin statin pril sartan olol dipine prazole azole cillin mycin cycline floxacin oxacin
    tidine gliptin gliflozin zepam zolam afil triptan lukast semide thiazide parin xaban
    tropin olone sone oxetine pramine triptyline zodone apine profen fenac coxib caine
    dronate phylline terol tadine amol azine oxin mab nib vir ous ful ive iac less ness tic
    gic mic oid
    """
    )
)


def is_name_word(word: str) -> bool:
    """Whether one capitalised word may be (part of) a person's name."""
    bare = word.rstrip(".")
    folded = bare.casefold()
    if folded in NOT_NAMES:
        return False
    if len(bare) > 1 and bare.isupper():  # an acronym: COPD, MBBS, HIV
        return False
    return not (len(bare) >= 7 and folded.endswith(NOT_NAME_ENDINGS))
