"""The controlled vocabularies of DOMAIN.md §3 with labels in English, Azerbaijani and Russian.

The first migration seeds these terms as data; an admin can add more. Codes never change.
"""

from typing import NamedTuple


class Term(NamedTuple):
    code: str
    en: str
    az: str
    ru: str


INCIDENT_TYPES = (
    Term("DET", "Arbitrary detention", "Özbaşına saxlanma", "Произвольное задержание"),
    Term(
        "RAID",
        "Police raid or round-up",
        "Polis basqını və ya toplu saxlanma",
        "Полицейский рейд или облава",
    ),
    Term(
        "TORT",
        "Torture or ill-treatment in custody",
        "Saxlanma zamanı işgəncə və ya pis rəftar",
        "Пытки или жестокое обращение под стражей",
    ),
    Term(
        "SEXV",
        "Sexual violence or its threat",
        "Cinsi zorakılıq və ya onunla hədələmə",
        "Сексуальное насилие или угроза им",
    ),
    Term("THRT", "Threat or intimidation", "Hədə və ya qorxutma", "Угроза или запугивание"),
    Term(
        "HATE",
        "Online hate speech or incitement",
        "Onlayn nifrət nitqi və ya təhrik",
        "Онлайн-язык вражды или подстрекательство",
    ),
    Term(
        "ASLT",
        "Physical assault outside custody",
        "Saxlanmadan kənar fiziki hücum",
        "Физическое нападение вне заключения",
    ),
    Term("KILL", "Killing", "Qətl", "Убийство"),
    Term("ATMP", "Attempted killing", "Qətlə cəhd", "Покушение на убийство"),
    Term("ABDU", "Kidnapping or abduction", "Adam oğurluğu", "Похищение"),
    Term("OUTG", "Forced outing", "Məcburi ifşa (autinq)", "Принудительный аутинг"),
    Term(
        "FAMV",
        "Family violence or confinement",
        "Ailə zorakılığı və ya məhbus saxlama",
        "Семейное насилие или удержание",
    ),
    Term(
        "RETN",
        "Forced return to family",
        "Ailəyə məcburi qaytarılma",
        "Принудительное возвращение в семью",
    ),
    Term(
        "BLKM",
        "Blackmail or extortion",
        "Şantaj və ya hədə-qorxu ilə pul tələbi",
        "Шантаж или вымогательство",
    ),
    Term(
        "SMER",
        "Smear campaign or doxxing",
        "Qaralama kampaniyası və ya şəxsi məlumatların yayılması",
        "Кампания травли или доксинг",
    ),
    Term(
        "SURV",
        "Surveillance or data harvesting",
        "İzləmə və ya məlumat toplanması",
        "Слежка или сбор данных",
    ),
    Term(
        "ASMB",
        "Dispersal or obstruction of an assembly",
        "Toplantının dağıdılması və ya əngəllənməsi",
        "Разгон или воспрепятствование собранию",
    ),
    Term(
        "DISC",
        "Discrimination or denial of service",
        "Ayrı-seçkilik və ya xidmətdən imtina",
        "Дискриминация или отказ в услугах",
    ),
    Term("CONV", "Conversion practices", "Konversiya praktikaları", "Конверсионные практики"),
    Term(
        "NOPR",
        "Protection, complaint or investigation refused",
        "Müdafiə, şikayət və ya istintaqdan imtina",
        "Отказ в защите, жалобе или расследовании",
    ),
    Term(
        "SELF",
        "Self-harm or suicide following abuse",
        "Zorakılıqdan sonra özünə zərər və ya intihar",
        "Самоповреждение или суицид после насилия",
    ),
)

PERPETRATOR_TYPES = (
    Term("state_agent", "State agent", "Dövlət nümayəndəsi", "Представитель государства"),
    Term(
        "state_affiliated", "State-affiliated", "Dövlətlə əlaqəli", "Аффилированный с государством"
    ),
    Term("family_member", "Family member", "Ailə üzvü", "Член семьи"),
    Term("intimate_partner", "Intimate partner", "Partnyor", "Интимный партнёр"),
    Term("private_individual", "Private individual", "Fərdi şəxs", "Частное лицо"),
    Term(
        "non_state_institution",
        "Non-state institution",
        "Qeyri-dövlət qurumu",
        "Негосударственное учреждение",
    ),
    Term("unknown", "Unknown", "Naməlum", "Неизвестно"),
)

VIOLATIONS = (
    Term("ECHR-2", "Right to life and effective investigation", "Yaşamaq hüququ", "Право на жизнь"),
    Term("ECHR-3", "Prohibition of torture", "İşgəncənin qadağan edilməsi", "Запрещение пыток"),
    Term("ECHR-5", "Right to liberty", "Azadlıq hüququ", "Право на свободу"),
    Term(
        "ECHR-6",
        "Right to a fair trial",
        "Ədalətli məhkəmə hüququ",
        "Право на справедливое судебное разбирательство",
    ),
    Term(
        "ECHR-8", "Right to private life", "Şəxsi həyat hüququ", "Право на уважение частной жизни"
    ),
    Term("ECHR-10", "Freedom of expression", "İfadə azadlığı", "Свобода выражения мнения"),
    Term("ECHR-11", "Freedom of assembly", "Toplaşmaq azadlığı", "Свобода собраний"),
    Term(
        "ECHR-13",
        "Right to an effective remedy",
        "Səmərəli hüquqi müdafiə vasitəsi",
        "Право на эффективное средство защиты",
    ),
    Term(
        "ECHR-14",
        "Prohibition of discrimination",
        "Ayrı-seçkiliyin qadağan edilməsi",
        "Запрещение дискриминации",
    ),
)

CHARGES = (
    Term(
        "AZ-CAO-510",
        "Petty hooliganism (Code of Administrative Offences)",
        "Xırda xuliqanlıq (İXM)",
        "Мелкое хулиганство (КоАП)",
    ),
    Term(
        "AZ-CAO-535.1",
        "Failure to obey a lawful police demand",
        "Polisin qanuni tələbinə tabe olmamaq",
        "Неповиновение законному требованию полиции",
    ),
)

SOURCE_KINDS = tuple(
    Term(code, en, az, ru)
    for code, en, az, ru in (
        ("victim_testimony", "Victim testimony", "Zərərçəkənin ifadəsi", "Показания пострадавшего"),
        ("witness_testimony", "Witness testimony", "Şahid ifadəsi", "Показания свидетеля"),
        ("lawyer_account", "Lawyer's account", "Vəkilin məlumatı", "Сообщение адвоката"),
        ("ngo_report", "NGO report", "QHT hesabatı", "Доклад НКО"),
        ("media_article", "Media article", "Media məqaləsi", "Статья в СМИ"),
        ("social_media_post", "Social media post", "Sosial media paylaşımı", "Пост в соцсетях"),
        ("official_document", "Official document", "Rəsmi sənəd", "Официальный документ"),
        ("medical_record", "Medical record", "Tibbi sənəd", "Медицинский документ"),
        ("other", "Other", "Digər", "Другое"),
    )
)

EVIDENCE_KINDS = tuple(
    Term(code, en, az, ru)
    for code, en, az, ru in (
        ("photo", "Photo", "Foto", "Фото"),
        ("video", "Video", "Video", "Видео"),
        ("audio", "Audio", "Audio", "Аудио"),
        ("screenshot", "Screenshot", "Ekran görüntüsü", "Скриншот"),
        ("web_capture", "Web capture", "Veb səhifənin surəti", "Копия веб-страницы"),
        ("message_export", "Message export", "Mesajların ixracı", "Экспорт сообщений"),
        ("document_scan", "Document scan", "Sənədin skanı", "Скан документа"),
        ("medical_report", "Medical report", "Tibbi rəy", "Медицинское заключение"),
        ("court_document", "Court document", "Məhkəmə sənədi", "Судебный документ"),
        ("physical_object", "Physical object", "Fiziki əşya", "Физический объект"),
        ("other", "Other", "Digər", "Другое"),
    )
)


def english_only(*codes_and_labels: tuple[str, str]) -> tuple[Term, ...]:
    """Terms whose az and ru labels are still to be translated fall back to English."""
    return tuple(Term(code, en, en, en) for code, en in codes_and_labels)


INVOLVEMENT_ROLES = (
    Term("victim", "Victim", "Zərərçəkən", "Пострадавший"),
    Term(
        "alleged_perpetrator",
        "Alleged perpetrator",
        "Ehtimal olunan törədici",
        "Предполагаемый виновник",
    ),
    Term("witness", "Witness", "Şahid", "Свидетель"),
    Term("reporter", "Reporter", "Məlumat verən", "Сообщивший"),
    Term(
        "legal_representative", "Legal representative", "Hüquqi nümayəndə", "Законный представитель"
    ),
)

LINK_TYPES = (
    Term("precedes", "Precedes", "Əvvəl baş verib", "Предшествует"),
    Term("retaliation_for", "Retaliation for", "Cavab olaraq", "Месть за"),
    Term("same_operation", "Same operation", "Eyni əməliyyat", "Та же операция"),
    Term("duplicate_of", "Duplicate of", "Dublikatı", "Дубликат"),
)

LEGAL_ACTION_KINDS = (
    Term("complaint", "Complaint", "Şikayət", "Жалоба"),
    Term(
        "refusal_to_investigate",
        "Refusal to investigate",
        "İstintaqdan imtina",
        "Отказ в расследовании",
    ),
    Term("hearing", "Hearing", "Məhkəmə iclası", "Слушание"),
    Term("judgment", "Judgment", "Məhkəmə qərarı", "Решение суда"),
    Term("appeal", "Appeal", "Apellyasiya", "Апелляция"),
    Term("cassation", "Cassation", "Kassasiya", "Кассация"),
    Term("ecthr_application", "ECtHR application", "AİHM-ə ərizə", "Жалоба в ЕСПЧ"),
    Term("un_communication", "UN communication", "BMT-yə müraciət", "Сообщение в ООН"),
)

CONSENT_SCOPES = (
    Term(
        "record_sensitive",
        "Record sensitive data",
        "Həssas məlumatların qeydə alınması",
        "Запись чувствительных данных",
    ),
    Term(
        "legal_filing",
        "Use in legal filings",
        "Hüquqi sənədlərdə istifadə",
        "Использование в судебных документах",
    ),
    Term("share_partner", "Share with partners", "Tərəfdaşlarla paylaşma", "Передача партнёрам"),
    Term("name_public", "Name in public", "Adın açıq dərci", "Публикация имени"),
    Term("narrative_public", "Publish the narrative", "Hekayənin dərci", "Публикация рассказа"),
    Term(
        "organisational_decision",
        "Organisational decision (deceased)",
        "Təşkilatın qərarı (vəfat etmiş)",
        "Решение организации (умерший)",
    ),
)

CONSENT_STATUSES = (
    Term("granted", "Granted", "Verilib", "Дано"),
    Term("refused", "Refused", "Rədd edilib", "Отказано"),
    Term("withdrawn", "Withdrawn", "Geri götürülüb", "Отозвано"),
)

VERIFICATION_STATUSES = (
    Term("unverified", "Unverified", "Təsdiqlənməyib", "Не проверено"),
    Term("corroborated", "Corroborated", "Təsdiq edilib (dolayı)", "Подкреплено"),
    Term("verified", "Verified", "Yoxlanılıb", "Проверено"),
    Term("disputed", "Disputed", "Mübahisəli", "Оспаривается"),
)

AGE_BANDS = tuple(
    Term(code, label, label, label)
    for code, label in (
        ("under_18", "Under 18"),
        ("18_24", "18–24"),
        ("25_34", "25–34"),
        ("35_44", "35–44"),
        ("45_54", "45–54"),
        ("55_plus", "55+"),
    )
) + (Term("unknown", "Unknown", "Naməlum", "Неизвестно"),)

PLACE_KINDS = (
    Term("country", "Country", "Ölkə", "Страна"),
    Term(
        "first_level_unit", "First-level unit", "Birinci səviyyəli vahid", "Единица первого уровня"
    ),
    Term("district", "District", "Rayon", "Район"),
    Term("town", "Town", "Şəhər", "Город"),
    Term("site", "Site", "Yer", "Место"),
    Term("online", "Online", "Onlayn", "Онлайн"),
)

ORGANISATION_KINDS = english_only(
    ("ministry", "Ministry"),
    ("department", "Department"),
    ("police_station", "Police station"),
    ("security_service", "Security service"),
    ("court", "Court"),
    ("prosecutor", "Prosecutor"),
    ("media_outlet", "Media outlet"),
    ("ngo", "NGO"),
    ("state_linked_body", "State-linked body"),
    ("other", "Other"),
)

STATE_RELATIONS = english_only(
    ("state", "State"),
    ("state_affiliated", "State-affiliated"),
    ("non_state", "Non-state"),
    ("unknown", "Unknown"),
)

EVIDENCE_STAGES = english_only(
    ("online_inquiry", "Online inquiry"),
    ("preliminary_assessment", "Preliminary assessment"),
    ("collection", "Collection"),
    ("preservation", "Preservation"),
    ("verification", "Verification"),
    ("investigative_analysis", "Investigative analysis"),
)

CUSTODY_ACTIONS = english_only(
    ("received", "Received"),
    ("hashed", "Hashed"),
    ("copied", "Copied"),
    ("transferred", "Transferred"),
    ("viewed", "Viewed"),
    ("verified", "Verified"),
    ("exported", "Exported"),
    ("destroyed", "Destroyed"),
)

CASE_STATUSES = english_only(("open", "Open"), ("pending", "Pending"), ("closed", "Closed"))

NAME_KINDS = english_only(
    ("legal", "Legal name"),
    ("chosen", "Chosen name"),
    ("nickname", "Nickname"),
    ("transliteration", "Transliteration"),
    ("as_published", "As published"),
)

SCRIPTS = english_only(("latn", "Latin"), ("cyrl", "Cyrillic"), ("other", "Other"))

WITNESS_KINDS = english_only(("direct", "Direct"), ("hearsay", "Hearsay"))

ROLES = english_only(
    ("admin", "Administrator"),
    ("documenter", "Documenter"),
    ("reviewer", "Reviewer"),
    ("lawyer", "Lawyer"),
    ("analyst", "Analyst"),
)

# Vocabulary name → its seed terms, in display order.
SEED_VOCABULARIES: dict[str, tuple[Term, ...]] = {
    "incident_type": INCIDENT_TYPES,
    "perpetrator_type": PERPETRATOR_TYPES,
    "violation": VIOLATIONS,
    "charge": CHARGES,
    "source_kind": SOURCE_KINDS,
    "evidence_kind": EVIDENCE_KINDS,
    "involvement_role": INVOLVEMENT_ROLES,
    "link_type": LINK_TYPES,
    "legal_action_kind": LEGAL_ACTION_KINDS,
    "consent_scope": CONSENT_SCOPES,
    "consent_status": CONSENT_STATUSES,
    "verification_status": VERIFICATION_STATUSES,
    "age_band": AGE_BANDS,
    "place_kind": PLACE_KINDS,
    "organisation_kind": ORGANISATION_KINDS,
    "state_relation": STATE_RELATIONS,
    "evidence_stage": EVIDENCE_STAGES,
    "custody_action": CUSTODY_ACTIONS,
    "case_status": CASE_STATUSES,
    "name_kind": NAME_KINDS,
    "script": SCRIPTS,
    "witness_kind": WITNESS_KINDS,
}

RELIABILITY_GRADES = ("A", "B", "C", "D", "E", "F")
CREDIBILITY_GRADES = (1, 2, 3, 4, 5, 6)
