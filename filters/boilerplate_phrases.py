"""Boilerplate phrases of web pages, per kind and language: the data behind `roots.filters.boilerplate`.

Origin: written for this project (Apache-2.0, like the code) from the user-interface strings that common
site software and consent banners show (WordPress, MediaWiki, Drupal and news-site templates in each
language), checked against the pages of `../shared/data/web` (OSCAR 2019, a Common Crawl WET page, the
article-extraction benchmark). The kinds follow C4's line rules (cookie and policy lines, "javascript")
and what the issue found in kept documents (menus, "read more", share and login buttons, sort menus).
Nothing was copied from another filter's lists.

Languages with phrases (of the 46 in the registry): en fr es pt ca eu ar ur zh-Hans zh-Hant vi id hi mr
ne bn ta te ml kn gu pa sw yo. The other 22 (or as rw xh ig zu sn lg wo rn fon nso ln tn tw ny st ts ak
bm ki tum) have none of their own: their web pages mostly show English or French interface strings,
which every document is checked against (the stage runs before language ID, so all phrases apply to
every document; each phrase is distinctive enough for that).

How a kind matches a line (see `PhraseKind`):
- `contains`: the phrase anywhere in a line of at most `max_words` words (cookie banners, copyright
  lines, "enable JavaScript", policy links);
- `starts`: the line begins with the phrase (after bullets or symbols) and has at most `max_words`
  words; a phrase of one word (in a script written with spaces) or of at most two CJK characters must
  be the whole line, so "Home" or "Entrar" never remove a sentence that starts with the word.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhraseKind:
    """One kind of boilerplate line: how its phrases match, the longest line it may remove (in words,
    CJK characters counting half a word) and its phrases per language code."""

    match: str  # "contains" | "starts"
    max_words: int
    phrases: dict[str, tuple[str, ...]]
    #: whether a one-word phrase must be the whole line (kinds whose words start ordinary sentences)
    whole_words: bool = True


COOKIE = PhraseKind("contains", 150, {
    "en": ("uses cookies", "use cookies", "use of cookies", "we use cookies", "cookie policy", "cookie settings",
           "accept cookies", "accept all cookies", "cookie preferences", "this site uses cookies",
           "necessary cookies", "cookie consent", "cookies will be stored", "out of these cookies",
           "strictly necessary cookies",
           "we are using cookies", "accept youtube cookies", "cookies to play this video"),
    "fr": ("utilise des cookies", "utilisons des cookies", "politique de cookies", "politique relative aux cookies",
           "accepter les cookies", "gestion des cookies", "paramètres des cookies", "utilisation des cookies",
           "dépôt de cookies", "utilisent des cookies", "cookies et autres traceurs", "cookies strictement nécessaires",
           "cookies de mesure d", "paramétrer les cookies"),
    "es": ("utiliza cookies", "usa cookies", "utilizamos cookies", "usamos cookies", "política de cookies",
           "aceptar cookies", "uso de cookies", "configuración de cookies", "utilizan cookies",
           "cookies propias y de terceros", "cookies estrictamente necesarias"),
    "pt": ("utiliza cookies", "utilizamos cookies", "usamos cookies", "política de cookies", "aceitar cookies",
           "uso de cookies", "utilização de cookies", "definições de cookies", "utilizam cookies",
           "cookies estritamente necessários"),
    "ca": ("utilitza galetes", "utilitzem galetes", "utilitzem cookies", "política de galetes", "ús de galetes",
           "accepta les galetes"),
    "eu": ("cookieak erabiltzen", "cookie politika", "cookien politika"),
    "id": ("menggunakan cookie", "kebijakan cookie", "penggunaan cookie"),
    "vi": ("sử dụng cookie", "chính sách cookie"),
    "ar": ("ملفات تعريف الارتباط", "سياسة الكوكيز", "ملفات الكوكيز", "سياسة ملفات تعريف"),
    "ur": ("کوکیز کا استعمال", "کوکی پالیسی", "کوکیز استعمال"),
    "zh-Hans": ("使用cookie", "使用 cookie", "cookie政策", "cookie 政策", "cookie设置"),
    "zh-Hant": ("使用cookie", "使用 cookie", "cookie政策", "cookie 政策", "cookie設定"),
    "hi": ("कुकीज़ का उपयोग", "कुकीज का उपयोग", "कुकी नीति"),
    "mr": ("कुकीज वापर", "कुकी धोरण"),
    "bn": ("কুকি ব্যবহার", "কুকি নীতি", "কুকিজ ব্যবহার"),
    "ta": ("குக்கீகளைப் பயன்படுத்து", "குக்கீ கொள்கை"),
    "sw": ("inatumia vidakuzi", "tunatumia vidakuzi", "sera ya vidakuzi"),
})

COPYRIGHT = PhraseKind("contains", 40, {
    "en": ("all rights reserved", "copyright ©", "© copyright", "copyright (c)"),
    "fr": ("tous droits réservés", "droits de reproduction réservés"),
    "es": ("todos los derechos reservados", "derechos reservados"),
    "pt": ("todos os direitos reservados", "direitos reservados"),
    "ca": ("tots els drets reservats", "drets reservats"),
    "eu": ("eskubide guztiak erreserbatuta", "eskubide guztiak gordeta"),
    "id": ("hak cipta dilindungi", "seluruh hak cipta"),
    "vi": ("bản quyền thuộc về", "giữ bản quyền"),
    "ar": ("جميع الحقوق محفوظة", "كل الحقوق محفوظة", "حقوق النشر محفوظة"),
    "ur": ("جملہ حقوق محفوظ", "تمام حقوق محفوظ"),
    "zh-Hans": ("版权所有", "保留所有权利"),
    "zh-Hant": ("版權所有", "保留所有權利"),
    "hi": ("सर्वाधिकार सुरक्षित", "सभी अधिकार सुरक्षित", "कॉपीराइट ©"),
    "mr": ("सर्व हक्क राखीव", "सर्वाधिकार सुरक्षित"),
    "ne": ("सर्वाधिकार सुरक्षित", "सबै अधिकार सुरक्षित"),
    "bn": ("সর্বস্বত্ব সংরক্ষিত", "সকল স্বত্ব সংরক্ষিত"),
    "ta": ("அனைத்து உரிமைகளும் பாதுகாக்கப்பட்ட", "பதிப்புரிமை ©"),
    "te": ("సర్వ హక్కులు", "అన్ని హక్కులు"),
    "ml": ("എല്ലാ അവകാശങ്ങളും", "പകർപ്പവകാശം ©"),
    "kn": ("ಎಲ್ಲ ಹಕ್ಕುಗಳನ್ನು ಕಾಯ್ದಿರಿಸ", "ಎಲ್ಲಾ ಹಕ್ಕುಗಳನ್ನು ಕಾಯ್ದಿರಿಸ"),
    "gu": ("સર્વાધિકાર સુરક્ષિત", "બધા હકો"),
    "pa": ("ਸਾਰੇ ਹੱਕ ਰਾਖਵੇਂ",),
    "sw": ("haki zote zimehifadhiwa",),
    # BBC's footer in its African-language services (the issue found the Yoruba one kept).
    "yo": ("bbc kò mọ̀ nípa àwọn ohun tí ó wà ní àwọn ojú òpó",),
})

JAVASCRIPT = PhraseKind("contains", 40, {
    "en": ("enable javascript", "javascript is disabled", "javascript is not enabled", "javascript must be enabled",
           "requires javascript", "turn on javascript", "activate javascript", "javascript enabled",
           "javascript to be enabled", "your browser does not support", "upgrade your browser",
           "update your browser", "browser is out of date"),
    "fr": ("activer javascript", "activez javascript", "activer le javascript", "javascript est désactivé",
           "votre navigateur ne", "mettre à jour votre navigateur"),
    "es": ("habilitar javascript", "habilite javascript", "activar javascript", "active javascript",
           "javascript está desactivado", "su navegador no", "tu navegador no", "actualiza tu navegador"),
    "pt": ("ativar o javascript", "habilitar o javascript", "ative o javascript", "habilite o javascript",
           "javascript está desativado", "seu navegador não", "o seu navegador não", "atualize seu navegador"),
    "id": ("aktifkan javascript", "browser anda tidak"),
    "vi": ("bật javascript", "trình duyệt của bạn không"),
    "ar": ("تفعيل جافا سكريبت", "تمكين جافا سكريبت", "متصفحك لا"),
    "zh-Hans": ("启用javascript", "启用 javascript", "浏览器不支持", "请升级浏览器"),
    "zh-Hant": ("啟用javascript", "啟用 javascript", "瀏覽器不支援", "請升級瀏覽器"),
})

LEGAL = PhraseKind("contains", 12, {
    "en": ("privacy policy", "terms of use", "terms of service", "terms and conditions", "privacy notice",
           "do not sell my personal information"),
    "fr": ("politique de confidentialité", "mentions légales", "conditions générales", "conditions d'utilisation",
           "données personnelles"),
    "es": ("política de privacidad", "aviso legal", "términos y condiciones", "términos de uso",
           "condiciones de uso"),
    "pt": ("política de privacidade", "termos de uso", "termos e condições", "aviso legal", "termos de serviço"),
    "ca": ("política de privadesa", "avís legal", "condicions d'ús"),
    "eu": ("pribatutasun politika", "lege oharra", "erabilera baldintzak"),
    "id": ("kebijakan privasi", "syarat dan ketentuan", "ketentuan layanan"),
    "vi": ("chính sách bảo mật", "điều khoản sử dụng", "chính sách riêng tư"),
    "ar": ("سياسة الخصوصية", "شروط الاستخدام", "الشروط والأحكام", "اتفاقية الاستخدام"),
    "ur": ("رازداری کی پالیسی", "شرائط و ضوابط", "پرائیویسی پالیسی"),
    "zh-Hans": ("隐私政策", "使用条款", "服务条款", "免责声明", "隐私声明"),
    "zh-Hant": ("隱私政策", "隱私權政策", "使用條款", "服務條款", "免責聲明"),
    "hi": ("गोपनीयता नीति", "उपयोग की शर्तें", "नियम और शर्तें", "प्राइवेसी पॉलिसी"),
    "mr": ("गोपनीयता धोरण", "अटी आणि शर्ती"),
    "ne": ("गोपनीयता नीति", "नियम र सर्तहरू"),
    "bn": ("গোপনীয়তা নীতি", "ব্যবহারের শর্তাবলী"),
    "ta": ("தனியுரிமைக் கொள்கை", "பயன்பாட்டு விதிமுறைகள்"),
    "te": ("గోప్యతా విధానం",),
    "ml": ("സ്വകാര്യതാ നയം",),
    "kn": ("ಗೌಪ್ಯತಾ ನೀತಿ",),
    "gu": ("ગોપનીયતા નીતિ",),
    "sw": ("sera ya faragha", "masharti ya matumizi"),
})

SHARE = PhraseKind("starts", 8, {
    "en": ("share this", "share on", "share via", "share:", "share article", "follow us", "like us on",
           "tweet", "pin it", "email this", "print this", "share", "print", "comments", "reply", "replies", "leave a comment",
           "leave a reply", "post a comment", "comments are closed", "advertisement", "sponsored",
           "sponsored content", "post was not sent", "email check failed",
           "your blog cannot share posts by email", "end of dialog window", "beginning of dialog window"),
    "fr": ("partager sur", "partager :", "partager l'article", "suivez-nous", "suivez nous", "partager", "imprimer",
           "commentaires", "laisser un commentaire",
           "publicité"),
    "es": ("compartir en", "compartir:", "compartir", "síguenos", "siguenos", "imprimir", "comentarios",
           "deja un comentario", "dejar un comentario",
           "publicidad", "anuncio"),
    "pt": ("compartilhar", "compartilhe", "partilhar", "partilhe", "siga-nos", "siga nos", "imprimir",
           "comentários", "deixe um comentário", "deixe uma resposta", "publicidade"),
    "ca": ("comparteix", "segueix-nos", "imprimeix", "comentaris", "deixa un comentari"),
    "eu": ("partekatu", "jarraitu gaitzazu", "inprimatu", "iruzkinak"),
    "id": ("bagikan", "ikuti kami", "tinggalkan komentar", "tinggalkan balasan", "komentar", "iklan",
           "tulisan tidak terkirim", "cek surel gagal"),
    "vi": ("chia sẻ bài viết", "chia sẻ lên", "chia sẻ:", "theo dõi chúng tôi", "bình luận", "quảng cáo"),
    "ar": ("شارك على", "شارك المقال", "تابعنا على", "تابعنا", "مشاركة", "طباعة", "اترك تعليقا", "اترك تعليقاً", "التعليقات", "إعلان"),
    "ur": ("شیئر کریں", "ہمیں فالو کریں", "تبصرے", "اشتہار"),
    "zh-Hans": ("分享到", "分享", "关注我们", "打印", "评论", "发表评论", "广告"),
    "zh-Hant": ("分享到", "分享", "關注我們", "追蹤我們", "列印", "評論", "發表評論", "留言", "廣告"),
    "hi": ("शेयर करें", "हमें फॉलो करें", "टिप्पणियाँ", "टिप्पणी करें", "विज्ञापन"),
    "mr": ("शेअर करा", "आम्हाला फॉलो करा"),
    "ne": ("सेयर गर्नुहोस्", "शेयर गर्नुहोस्"),
    "bn": ("শেয়ার করুন", "আমাদের অনুসরণ করুন", "মন্তব্য করুন", "বিজ্ঞাপন"),
    "ta": ("பகிர்", "பகிரவும்"),
    "te": ("షేర్ చేయండి",),
    "ml": ("ഷെയർ ചെയ്യുക", "പങ്കിടുക"),
    "kn": ("ಹಂಚಿಕೊಳ್ಳಿ",),
    "gu": ("શેર કરો",),
    "pa": ("ਸਾਂਝਾ ਕਰੋ",),
    "sw": ("shiriki", "tufuate", "maoni", "tangazo"),
    "yo": ("pín",),
})

LOGIN = PhraseKind("starts", 6, {
    "en": ("log in", "login", "sign in", "sign up", "register", "create account", "create an account", "my account",
           "forgot password", "forgot your password", "log out", "logout"),
    "fr": ("se connecter", "connexion", "s'inscrire", "inscription", "mon compte", "créer un compte",
           "mot de passe oublié", "déconnexion"),
    "es": ("iniciar sesión", "inicia sesión", "registrarse", "regístrate", "mi cuenta", "crear cuenta",
           "crear una cuenta", "acceder", "olvidaste tu contraseña"),
    "pt": ("entrar", "iniciar sessão", "cadastre-se", "registre-se", "registe-se", "minha conta", "criar conta",
           "esqueceu a senha", "esqueceu sua senha", "fazer login"),
    "ca": ("inicia la sessió", "inicia sessió", "registra't", "el meu compte", "crea un compte"),
    "eu": ("saioa hasi", "hasi saioa", "erregistratu", "kontua sortu"),
    "id": ("masuk", "daftar", "akun saya", "lupa kata sandi", "lupa password", "keluar"),
    "vi": ("đăng nhập", "đăng ký", "quên mật khẩu", "đăng xuất", "tài khoản của tôi"),
    "ar": ("تسجيل الدخول", "تسجيل دخول", "إنشاء حساب", "التسجيل", "نسيت كلمة المرور", "تسجيل الخروج", "دخول"),
    "ur": ("لاگ ان", "سائن ان", "رجسٹر"),
    "zh-Hans": ("登录", "注册", "忘记密码", "退出登录", "我的账户"),
    "zh-Hant": ("登入", "登錄", "註冊", "忘記密碼", "登出", "我的帳戶"),
    "hi": ("लॉग इन", "लॉगिन", "साइन इन", "रजिस्टर करें", "साइन अप"),
    "mr": ("लॉग इन", "नोंदणी करा"),
    "ne": ("लग इन", "दर्ता गर्नुहोस्"),
    "bn": ("লগ ইন", "লগইন", "সাইন ইন", "নিবন্ধন করুন"),
    "ta": ("உள்நுழை", "பதிவு செய்"),
    "te": ("లాగిన్",),
    "ml": ("ലോഗിൻ",),
    "kn": ("ಲಾಗಿನ್",),
    "gu": ("લૉગ ઇન", "લોગિન"),
    "pa": ("ਲੌਗ ਇਨ",),
    "sw": ("ingia", "jisajili"),
})

SUBSCRIBE = PhraseKind("starts", 12, whole_words=False, phrases={
    "en": ("subscribe", "sign up for our newsletter", "sign up for", "newsletter", "get the latest", "stay up to date with",
           "join our mailing list", "download the app", "get the app"),
    "fr": ("abonnez-vous", "s'abonner", "inscrivez-vous à notre newsletter", "recevez notre newsletter",
           "newsletter", "téléchargez l'application"),
    "es": ("suscríbete", "suscribirse", "suscríbase", "recibe nuestro boletín", "newsletter",
           "descarga la app"),
    "pt": ("assine", "inscreva-se", "receba nossa newsletter", "newsletter", "baixe o app"),
    "ca": ("subscriu-te", "butlletí"),
    "eu": ("harpidetu",),
    "id": ("berlangganan",),
    "vi": ("đăng ký nhận tin", "đăng ký nhận bản tin"),
    "ar": ("اشترك", "اشترك في النشرة", "النشرة البريدية"),
    "ur": ("سبسکرائب",),
    "zh-Hans": ("订阅",),
    "zh-Hant": ("訂閱",),
    "hi": ("सब्सक्राइब", "सदस्यता लें"),
    "bn": ("সাবস্ক্রাইব",),
    "sw": ("jiunge na",),
})

READ_MORE = PhraseKind("starts", 12, {
    "en": ("read more", "continue reading", "read the full", "see more", "view more", "load more", "show more",
           "more »", "see also", "related articles", "related posts", "related stories", "you may also like",
           "recommended for you", "click here", "back to top", "read this next"),
    "fr": ("lire la suite", "lire plus", "en savoir plus", "voir plus", "voir aussi", "à lire aussi",
           "lire aussi", "articles similaires", "cliquez ici", "retour en haut"),
    "es": ("leer más", "seguir leyendo", "ver más", "saber más", "lee también", "te puede interesar",
           "artículos relacionados", "haz clic aquí", "volver arriba"),
    "pt": ("leia mais", "ler mais", "saiba mais", "ver mais", "continue lendo", "leia também", "veja também",
           "artigos relacionados", "clique aqui", "voltar ao topo"),
    "ca": ("llegiu més", "llegir més", "més informació", "llegiu també", "vegeu també"),
    "eu": ("irakurri gehiago", "gehiago irakurri", "ikusi gehiago"),
    "id": ("baca selengkapnya", "selengkapnya", "baca juga", "lihat semua", "lihat juga", "artikel terkait",
           "klik di sini"),
    "vi": ("xem thêm", "đọc tiếp", "đọc thêm", "bài viết liên quan", "tin liên quan", "xem tiếp"),
    "ar": ("اقرأ المزيد", "اقرأ أيضا", "اقرأ أيضاً", "المزيد", "مقالات ذات صلة", "اضغط هنا"),
    "ur": ("مزید پڑھیں", "یہ بھی پڑھیں"),
    "zh-Hans": ("阅读更多", "查看更多", "更多", "阅读全文", "相关文章", "点击这里", "返回顶部"),
    "zh-Hant": ("閱讀更多", "查看更多", "更多", "閱讀全文", "相關文章", "點擊這裡", "返回頂部"),
    "hi": ("और पढ़ें", "आगे पढ़ें", "यह भी पढ़ें", "इसे भी पढ़ें", "संबंधित खबरें"),
    "mr": ("अधिक वाचा", "पुढे वाचा", "हे पण वाचा", "हेही वाचा"),
    "ne": ("थप पढ्नुहोस्", "यो पनि पढ्नुहोस्"),
    "bn": ("আরও পড়ুন", "আরো পড়ুন", "আরও দেখুন"),
    "ta": ("மேலும் படிக்க", "மேலும் வாசிக்க"),
    "te": ("మరింత చదవండి", "ఇవి కూడా చదవండి"),
    "ml": ("കൂടുതൽ വായിക്കുക", "കൂടുതല്‍ വായിക്കുക"),
    "kn": ("ಮುಂದೆ ಓದಿ", "ಇದನ್ನೂ ಓದಿ"),
    "gu": ("વધુ વાંચો", "આ પણ વાંચો"),
    "pa": ("ਹੋਰ ਪੜ੍ਹੋ", "ਇਹ ਵੀ ਪੜ੍ਹੋ"),
    "sw": ("soma zaidi", "soma pia", "habari zaidi"),
    "yo": ("ka síwájú",),
})

#: A related-story label and the headline it links to ("Lea también: …", "RELATED: …", "ये भी पढ़ें: …"), in
#: at most 30 words: the label ends in a colon (or is a fixed label), so a sentence is never taken for one.
RELATED = PhraseKind("starts", 30, whole_words=False, phrases={
    "en": ("related:", "read more:", "read also:", "also read:", "read next:", "read:", "more:", "see also:",
           "watch:", "listen:", "recommended:", "don't miss:", "trending:", "more on this:", "want more?",
           "related articles:", "related stories:", "related coverage:", "related content:", "up next:"),
    "fr": ("à lire aussi", "à lire également", "lire aussi :", "lire aussi:", "lire également :", "à voir aussi",
           "voir aussi :", "sur le même sujet :", "sur le même sujet:", "article suivant", "article précédent", "à écouter :", "à voir :"),
    "es": ("lea también", "lea más:", "lee también", "lee más:", "lea:", "lee:", "mira:", "mirá:", "mira también",
           "mirá también", "vea también", "vea:", "ver también:", "ver:", "le puede interesar:", "te puede interesar:",
           "puede interesarte:", "puedes ver:", "también puedes leer:", "te recomendamos:", "recomendado:",
           "relacionado:", "noticia relacionada", "noticias relacionadas", "artículo siguiente", "artículo anterior",
           "infórmate más", "informate más"),
    "pt": ("leia também", "leia mais:", "leia:", "veja também", "veja:", "veja mais:", "confira:", "confira também",
           "saiba mais:", "relacionado:", "notícias relacionadas", "próximo artigo", "artigo anterior", "assista:",
           "ouça:"),
    "ca": ("llegiu també", "vegeu també", "et pot interessar:"),
    "id": ("baca juga", "baca:", "simak juga", "simak:", "lihat juga:", "tonton:", "berita terkait"),
    "vi": ("xem thêm:", "đọc thêm:", "xem:", "tin liên quan:"),
    "ar": ("اقرأ أيضا", "اقرأ أيضاً", "اقرأ ايضا", "اقرأ:", "شاهد:", "شاهد أيضا", "طالع أيضا"),
    "ur": ("یہ بھی پڑھیں", "مزید پڑھیں:"),
    "zh-Hans": ("相关阅读", "延伸阅读", "推荐阅读"),
    "zh-Hant": ("相關閱讀", "延伸閱讀", "推薦閱讀"),
    "hi": ("ये भी पढ़ें", "यह भी पढ़ें", "इसे भी पढ़ें", "पढ़ें:", "देखें:", "यह भी देखें"),
    "bn": ("আরও পড়ুন:", "আরো পড়ুন:"),
    "sw": ("soma pia:", "soma zaidi:"),
})

NAVIGATION = PhraseKind("starts", 6, {
    "en": ("skip to content", "skip to main content", "jump to navigation", "jump to content", "main menu",
           "toggle navigation", "navigation menu", "you are here", "menu", "search", "home", "sort by", "next",
           "previous", "next post", "previous post", "tags:", "categories:", "posted in", "filed under"),
    "fr": ("aller au contenu", "passer au contenu", "menu principal", "vous êtes ici", "accueil", "rechercher",
           "trier par", "suivant", "précédent", "catégories :"),
    "es": ("ir al contenido", "saltar al contenido", "menú principal", "menú", "usted está aquí", "inicio", "buscar",
           "ordenar por", "siguiente", "anterior", "categorías:", "etiquetas:"),
    "pt": ("ir para o conteúdo", "pular para o conteúdo", "saltar para o conteúdo", "menu principal", "você está aqui",
           "início", "pesquisar", "ordenar por", "próximo", "anterior", "categorias:", "tags:"),
    "ca": ("vés al contingut", "salta al contingut", "menú principal", "inici", "cerca", "següent"),
    "eu": ("joan edukira", "menu nagusia", "hasiera", "bilatu"),
    "id": ("langsung ke konten", "lompat ke konten", "menu utama", "beranda", "cari", "urutkan", "berikutnya",
           "sebelumnya", "kategori:"),
    "vi": ("chuyển đến nội dung", "trang chủ", "tìm kiếm", "menu chính", "sắp xếp theo", "bài trước", "bài sau",
           "danh mục:"),
    "ar": ("انتقل إلى المحتوى", "تخطى إلى المحتوى", "القائمة الرئيسية", "الرئيسية", "الصفحة الرئيسية", "بحث",
           "ترتيب حسب", "التالي", "السابق"),
    "ur": ("مرکزی صفحہ", "ہوم", "تلاش", "اگلا", "پچھلا"),
    "zh-Hans": ("跳到主要内容", "跳转到内容", "首页", "主菜单", "搜索", "排序", "上一篇", "下一篇", "当前位置"),
    "zh-Hant": ("跳到主要內容", "跳轉到內容", "首頁", "主選單", "搜尋", "排序", "上一篇", "下一篇", "目前位置"),
    "hi": ("मुख्य सामग्री पर जाएं", "होम", "मुख्य पृष्ठ", "खोजें", "अगला", "पिछला"),
    "mr": ("मुख्यपृष्ठ", "मुख्य पान", "शोधा"),
    "ne": ("गृहपृष्ठ", "मुख्य पृष्ठ", "खोज्नुहोस्"),
    "bn": ("প্রধান মেনু", "হোম", "প্রচ্ছদ", "অনুসন্ধান"),
    "ta": ("முகப்பு", "தேடு"),
    "te": ("హోమ్", "వెతుకు"),
    "ml": ("ഹോം", "തിരയുക"),
    "kn": ("ಮುಖಪುಟ", "ಹುಡುಕಿ"),
    "gu": ("હોમ", "મુખપૃષ્ઠ", "શોધો"),
    "pa": ("ਮੁੱਖ ਪੰਨਾ", "ਖੋਜ"),
    "sw": ("ruka hadi maudhui", "nyumbani", "mwanzo", "tafuta"),
    "yo": ("ojú ìwé àkọ́kọ́",),
})

COMMENTS = PhraseKind("contains", 40, {
    "en": ("your email address will not be published", "required fields are marked", "save my name, email",
           "this site uses akismet", "learn how your comment data is processed", "want to join the discussion",
           "feel free to contribute", "your comment will be reviewed", "comments are moderated",
           "post limit reached", "you must be logged in to post a comment", "notify me of follow-up comments",
           "notify me of new posts", "be the first to comment", "view comments", "show comments",
           "hide comments", "join the conversation", "add a comment", "have your say", "comment policy",
           "to comment you must", "must be logged in to comment", "lines and paragraphs break automatically"),
    "fr": ("votre adresse e-mail ne sera pas publiée", "votre adresse de messagerie ne sera pas publiée",
           "les champs obligatoires sont indiqués", "enregistrer mon nom, mon e-mail", "soyez le premier à commenter",
           "ajouter un commentaire", "afficher les commentaires", "pour créer des paragraphes, laissez"),
    "es": ("tu dirección de correo electrónico no será publicada", "su dirección de correo electrónico no será publicada",
           "los campos obligatorios están marcados", "guarda mi nombre, correo electrónico", "guardar mi nombre, correo",
           "sé el primero en comentar",
           "añadir un comentario", "ver comentarios", "para comentar debes", "inicia sesión para comentar"),
    "pt": ("o seu endereço de email não será publicado", "o seu endereço de e-mail não será publicado",
           "seu endereço de e-mail não será publicado", "seu endereço de email não será publicado",
           "campos obrigatórios são marcados", "guardar o meu nome, email", "salvar meus dados neste navegador",
           "seja o primeiro a comentar", "ver comentários", "faça login para comentar"),
    "ca": ("la vostra adreça electrònica no es publicarà", "l'adreça electrònica no es publicarà",
           "els camps necessaris estan marcats"),
    "id": ("alamat email anda tidak akan dipublikasikan", "ruas yang wajib ditandai", "simpan nama, email",
           "jadilah yang pertama berkomentar", "lihat komentar"),
    "vi": ("email của bạn sẽ không được hiển thị công khai", "các trường bắt buộc được đánh dấu", "lưu tên của tôi",
           "xem bình luận"),
    "ar": ("لن يتم نشر عنوان بريدك الإلكتروني", "الحقول الإلزامية مشار إليها", "احفظ اسمي", "كن أول من يعلق",
           "أضف تعليقا", "أضف تعليقاً"),
    "ur": ("آپ کا ای میل ایڈریس شائع نہیں کیا جائے گا", "تبصرہ کریں"),
    "zh-Hans": ("您的电子邮箱地址不会被公开", "您的邮箱地址不会被公开", "必填项已用", "在此浏览器中保存我的显示名称",
                "查看评论", "发表你的评论"),
    "zh-Hant": ("你的電子郵件位址並不會被公開", "您的電子郵件地址不會被公開", "必填欄位標示為", "在瀏覽器中儲存顯示名稱",
                "查看留言"),
    "hi": ("आपका ईमेल पता प्रकाशित नहीं किया जाएगा", "आवश्यक फ़ील्ड चिह्नित हैं", "टिप्पणी लिखें"),
    "mr": ("आपला ईमेल पत्ता प्रकाशित केला जाणार नाही",),
    "bn": ("আপনার ইমেল ঠিকানা প্রকাশ করা হবে না", "আপনার ই-মেইল এ্যাড্রেস প্রকাশিত হবে না"),
    "ta": ("உங்கள் மின்னஞ்சல் வெளியிடப்பட மாட்டாது",),
    "sw": ("barua pepe yako haitachapishwa",),
})

CREDIT = PhraseKind("contains", 16, {
    "en": ("getty images", "shutterstock", "istockphoto", "image credit", "photo credit", "picture credit",
           "image source", "image courtesy", "photo courtesy", "photo by ", "photograph by", "photo:", "photograph:",
           "picture:", "image:", "(photo", "ap photo", "afp photo", "afp via getty", "/reuters", "reuters/",
           "/ reuters", "epa-efe", "/ap)", "(ap)"),
    "fr": ("crédit photo", "crédits photo", "photo :", "crédit :", "crédits :", "illustration :"),
    "es": ("foto:", "fotografía:", "crédito:", "imagen:", "foto de ", "fuente de la imagen"),
    "pt": ("foto:", "fotografia:", "crédito:", "imagem:", "foto de ", "créditos:"),
    "ca": ("foto:", "fotografia:", "imatge:"),
    "id": ("foto:", "sumber foto", "sumber gambar", "gambar:"),
    "vi": ("ảnh:", "nguồn ảnh", "ảnh minh họa"),
    "ar": ("صورة:", "مصدر الصورة", "الصورة:", "تصوير:"),
    "ur": ("تصویر:", "فوٹو:"),
    "zh-Hans": ("图片来源", "图源：", "摄影：", "图片：", "图/"),
    "zh-Hant": ("圖片來源", "攝影：", "圖片：", "圖/"),
    "hi": ("फोटो:", "फ़ोटो:", "तस्वीर:", "फोटो साभार", "फ़ोटो साभार"),
    "bn": ("ছবি:", "ছবি :"),
    "sw": ("picha:",),
})

NOTICE = PhraseKind("contains", 60, {
    "en": ("amazon associate", "approved or otherwise endorsed by", "approved, or endorsed by our advertis",
           "opinions expressed here are", "services llc associates program", "affiliate advertising program", "advertising disclosure",
           "advertiser disclosure", "our advertising policy", "references to products from", "may receive compensation",
           "from qualifying purchases", "advertisers do not influence", "already a subscriber",
           "to view the full story", "subscribe to continue", "subscribe to read",
           "subscriber-only content", "free articles remaining", "free articles left", "support our journalism",
           "support independent journalism", "support quality journalism", "enjoy the site ads free",
           "delivered to your inbox", "straight to your inbox", "right to your inbox", "in your inbox every",
           "unsubscribe at any time", "you can unsubscribe", "send you push notifications",
           "does not offer medical advice",
           "not intended as medical advice", "does not provide medical advice",
           "not a substitute for professional medical advice", "content is available under",
           "powered by blogger", "proudly powered by wordpress", "submit a letter to the editor",
           "publishing a diversity of letters", "report a typo", "not be able to save your preferences",
           "may contain affiliate links", "contains affiliate links", "we may earn a commission",
           "we may earn an affiliate commission", "may receive a commission", "when you purchase through links",
           "when you buy through links", "as an amazon associate", "please see my disclosure", "sharing is caring",
           "disable your ad blocker", "turn off your ad blocker", "whitelist our site", "using an ad blocker",
           "about your ad blocker", "constitutes acceptance of our", "by registering, you agree",
           "by registering you", "by clicking", "by submitting this form", "by signing up, you agree",
           "you agree to our terms", "may not be reproduced", "opinions expressed in this",
           "views expressed in this", "have not been evaluated by the food and drug administration",
           "not intended to diagnose, treat", "have a news tip", "have a tip?", "got a tip?", "send us a tip",
           "want more stories like this", "enter search terms", "is supported by its audience",
           "relies on advertising to support", "we're sorry, this feature is currently unavailable",
           "for your personal, non-commercial use only", "quote data provided by", "market data provided by",
           "quotes delayed", "delayed at least 15 minutes", "delayed by at least 15 minutes",
           "delayed a minimum of 15 minutes", "processing of my personal data", "revoke this consent",
           "revoke your consent", "create a new password", "your existing password", "reset your password",
           "delete your account", "restore your account", "activate your account", "confirm your account",
           "verify your email address", "we have updated our privacy policy", "we've updated our privacy policy",
           "you can change your selections", "manage your preferences", "your data protection rights",
           "up to our newsletter", "up for our newsletter", "subscribe to our newsletter", "our weekly newsletter",
           "our daily newsletter", "our monthly newsletter", "receive our newsletter", "never miss a post",
           "never miss the latest", "never miss our top stories", "by email and never miss", "articles, delivered weekly",
           "consider supporting our work", "bookmark the permalink", "this entry was posted in",
           "successfully subscribed", "succesfully subscribed", "off the newsstand price", "if you enjoyed this article,",
           "we have a proposition for you", "are you sure you want to delete", "share your thoughts with friends",
           "is a registered trademark of", "are registered trademarks of", "are trademarks of",
           "property of their respective owners", "comments do not necessarily reflect",
           "our community guidelines", "please be respectful when making a comment", "comments that violate",
           "subscribe to this blog and receive notifications", "confirmation of your subscription", "not a subscriber?",
           "you have already subscribed", "thanks for subscribing", "thanks for signing up",
           "thank you for sign up", "by providing your email address, you agree", "by signing up, i agree",
           "join our newsletter", "sign up and stay up to date", "forgot your password",
           "forgot your username", "keep comments civil", "log in here to leave a comment",
           "for the purposes of placing advertising", "you hereby accept"),
    "fr": ("articles gratuits ce mois", "réservé aux abonnés", "déjà abonné", "abonnez-vous pour lire",
           "soutenez notre journalisme", "soutenir notre journalisme", "dans votre boîte mail",
           "dans votre boîte de réception", "nos lettres d'information", "vous désabonner à tout moment",
           "désabonner à tout moment", "liens affiliés", "lien affilié", "bloqueur de publicité", "bloqueur de publicités",
           "désactiver votre bloqueur", "en cliquant sur", "vous acceptez nos conditions", "reproduction interdite",
           "toute reproduction", "les opinions exprimées", "traitement de mes données", "retirer votre consentement",
           "nouveau mot de passe", "supprimer votre compte", "activer votre compte", "à notre newsletter",
           "vous envoyer les lettres d'information", "recevoir notre newsletter", "cet article a été publié dans",
           "est une marque déposée", "sont des marques déposées", "charte des commentaires", "charte de commentaires",
           "se réserve le droit de ne pas publier", "les commentaires sont modérés",
           "inscription à la newsletter", "inscrit à la newsletter", "lien de désabonnement",
           "vous devez vous abonner ou vous connecter"),
    "es": ("ya eres suscriptor", "ya estás suscrito", "exclusivo para suscriptores", "contenido exclusivo para",
           "apoya el periodismo", "apoya nuestro periodismo", "hazte socio", "en tu bandeja de entrada",
           "te enviaremos un correo", "darte de baja en cualquier momento", "cancela cuando quieras", "cancela en cualquier momento",
           "nuestro canal de youtube", "nuestro canal de telegram", "invitamos a reportar errores",
           "enlaces de afiliado", "enlaces afiliados", "bloqueador de anuncios", "desactiva tu bloqueador",
           "al hacer clic", "al registrarte, aceptas", "aceptas nuestros términos", "prohibida su reproducción",
           "queda prohibida la reproducción", "las opiniones expresadas", "tratamiento de mis datos",
           "revocar su consentimiento", "nueva contraseña", "eliminar tu cuenta", "activar tu cuenta",
           "a nuestro boletín", "tenemos canal de telegram", "únete a nuestro canal", "esta entrada fue publicada en",
           "es una marca registrada", "son marcas registradas", "el contenido de los comentarios",
           "los comentarios publicados son", "se reserva el derecho de eliminar",
           "se reserva el derecho de la publicación", "reservaremos el derecho de moderar",
           "comentarios contrarios a las leyes", "los comentarios que no respeten",
           "los comentarios están inhabilitados",
           "recibe en tu correo", "suscríbete y recibe", "suscribite y recibí",
           "recibí el newsletter", "suscríbete ya", "exclusivos para suscriptores",
           "exclusiva para suscriptores", "exclusiva para suscripciones", "exclusivo suscriptores",
           "si ya sos suscriptor", "ya tenés suscripción", "estás suscrito al diario",
           "dirección de correo electrónico incorrecta", "ingrese su dirección de correo", "no es un correo electrónico válido",
           "inscripción ha sido exitosa", "inscripción exitosa", "con tu suscripción navegás",
           "solicitá aquí tu suscripción"),
    "pt": ("já é assinante", "já sou assinante", "exclusivo para assinantes", "conteúdo exclusivo para",
           "apoie o jornalismo", "apoie nosso jornalismo", "na sua caixa de entrada", "cancele quando quiser",
           "nosso canal no youtube", "nosso canal no telegram", "links de afiliados", "links afiliados", "bloqueador de anúncios", "desative seu bloqueador",
           "ao clicar em", "ao se cadastrar, você concorda", "você concorda com nossos termos",
           "proibida a reprodução", "é proibida a reprodução", "as opiniões expressas", "tratamento dos meus dados",
           "revogar o seu consentimento", "nova senha", "excluir sua conta", "ativar sua conta",
           "à nossa newsletter", "receba nosso boletim", "este post foi publicado em", "esta entrada foi publicada em",
           "é uma marca registrada", "são marcas registradas", "os comentários são de responsabilidade",
           "reserva-se o direito de excluir", "reserva-se o direito de remover", "os comentários não representam",
           "assine por apenas", "já possui cadastro", "não possui cadastro",
           "ao se cadastrar em nossas newsletters", "siga-nos no telegram", "apoie por pix"),
    "ca": ("enllaços d'afiliat", "bloquejador d'anuncis", "en fer clic", "prohibida la reproducció"),
    "id": ("tautan afiliasi", "pemblokir iklan", "dengan mengklik", "dilarang mengutip", "dilarang keras mengambil",
           "dukung jurnalisme", "sudah berlangganan"),
    "vi": ("liên kết liên kết", "trình chặn quảng cáo", "bằng cách nhấp", "nghiêm cấm sao chép", "ghi rõ nguồn"),
    "ar": ("روابط تابعة", "مانع الإعلانات", "بالنقر على", "يمنع نسخ", "جميع الآراء الواردة", "الآراء الواردة أدناه",
           "التعليقات قبل نشرها"),
    "zh-Hans": ("广告拦截", "点击即表示", "未经许可不得转载", "禁止转载", "转载请注明", "仅代表作者", "如有侵权",
                "侵权请联系", "部分内容来源于网络", "均来源于网络", "扫码关注", "扫描二维码关注", "扫描下方二维码",
                "长按识别二维码", "关注微信公众号", "微信扫一扫", "仅供其表达个人看法"),
    "zh-Hant": ("廣告攔截", "點擊即表示", "未經許可不得轉載", "禁止轉載", "轉載請註明", "僅代表作者", "如有侵權",
                "侵權請聯繫", "部分內容來源於網路", "均來源於網路", "掃碼關注", "掃描二維碼關注", "掃描下方二維碼",
                "關注微信公眾號", "僅供其表達個人看法"),
    "hi": ("विज्ञापन अवरोधक", "क्लिक करके", "अनुमति के बिना", "विचार लेखक के निजी"),
})

#: Every kind, by the rule name it records (`boilerplate:<kind>` in meta and the manifest).
KINDS: dict[str, PhraseKind] = {
    "cookie": COOKIE, "copyright": COPYRIGHT, "javascript": JAVASCRIPT, "legal": LEGAL, "share": SHARE,
    "login": LOGIN, "subscribe": SUBSCRIBE, "read_more": READ_MORE, "related": RELATED, "navigation": NAVIGATION,
    "comments": COMMENTS, "credit": CREDIT, "notice": NOTICE,
}

#: Byline openers (`byline` rule): a short line without terminal punctuation that starts with one is an
#: author, editor or date credit. `BYLINE_NAMED` are bare prepositions ("By", "Por", "Oleh"): the word
#: after them must be capitalised (a name), so "By 2020" or "Por qué" are not bylines.
BYLINE: tuple[str, ...] = (
    "written by", "posted by", "reviewed by", "medically reviewed by", "fact checked by", "edited by",
    "reported by", "story by", "words by", "updated", "last updated", "published", "posted on", "author:",
    "authors:", "publié le", "mis à jour le", "rédigé par", "auteur :", "publicado", "actualizado",
    "escrito por", "autor:", "atualizado", "publicat", "actualitzat", "penulis:", "editor:", "reporter:",
    "diperbarui", "dipublikasikan", "tác giả:", "cập nhật", "đăng lúc", "بقلم", "آخر تحديث", "نشر في",
    "作者：", "作者:", "发布时间", "更新时间", "來源：", "来源：", "编辑：", "編輯：", "發布時間", "更新時間",
    "लेखक:", "अपडेट", "प्रकाशित",
)
BYLINE_NAMED: tuple[str, ...] = ("by", "par", "por", "per", "oleh", "bởi", "von", "door")

#: Author-bio roles (`bio` rule): "<Name> is a staff writer at…", "<Nome> é jornalista…". A line that opens
#: with a capitalised name, then "is a/an/the" (or the language's copula) and one of these within a few
#: words, is the author box under an article.
BIO_COPULAS: tuple[str, ...] = ("is a", "is an", "is the", "is one of", "est un", "est une", "est le", "est la",
                                "est journaliste", "es un", "es una", "es el", "es la", "es periodista", "é um",
                                "é uma", "é o", "é a", "é jornalista", "adalah", "merupakan", "là")
BIO_ROLES: frozenset[str] = frozenset("""
writer reporter editor journalist correspondent columnist contributor contributing
producer photographer photojournalist author blogger curator anchor analyst intern fellow critic
journaliste rédacteur rédactrice chroniqueur chroniqueuse correspondant correspondante éditeur éditrice
periodista redactor redactora columnista corresponsal editor editora colaborador colaboradora
jornalista repórter colunista correspondente colaboradora
wartawan jurnalis penulis redaktur kontributor koresponden
phóng biên tác
""".split())

#: More roles (`bio` rule, for a line that stands alone between removed lines): an author box names a
#: profession ("Leah Stokes is an assistant professor of…", "Martin is a full-stack engineer…"), which
#: an article's own paragraphs do too, so these count only where no kept line is next to the line.
BIO_ROLES_ALONE: frozenset[str] = frozenset("""
professor lecturer researcher scientist economist historian founder co-founder cofounder expert specialist
consultant strategist developer engineer designer lawyer attorney entrepreneur coach teacher manager director
freelance freelancer native
professeur professeure chercheur chercheuse fondateur fondatrice avocat avocate consultante
profesor profesora investigador investigadora fundador fundadora abogado abogada consultor consultora
professor professora pesquisador pesquisadora fundadora advogado advogada
dosen peneliti pendiri pengacara konsultan
""".split())

#: Headings over an author box (`bio` rule): the heading and the box under it go together.
ABOUT_HEADINGS: frozenset[str] = frozenset({
    "about the author", "about the authors", "about me", "about the writer", "author bio", "author", "the author",
    "à propos de l'auteur", "à propos de l'autrice", "l'auteur", "sobre el autor", "sobre la autora", "el autor",
    "sobre o autor", "sobre a autora", "o autor", "tentang penulis", "penulis", "về tác giả",
})

#: Month and weekday names and time words (`date_line` rule): a short line made of these and numbers
#: only ("Updated Nov 19, 9:41 AM", "19 Nov 2019 05:44 GMT", "32M ago", "0") is a date, time or counter.
DATE_WORDS: frozenset[str] = frozenset("""
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thurs fri sat sun
am pm a.m. p.m. gmt utc et est edt cst cdt pst pdt bst cet cest ist wib wita wit ago updated posted published
on at min mins minute minutes hr hrs hour hours day days week weeks month months year years
janvier février mars avril mai juin juillet août septembre octobre novembre décembre
lundi mardi mercredi jeudi vendredi samedi dimanche le il y a h heure heures
enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre
lunes martes miércoles jueves viernes sábado domingo de del hace horas minutos días
janeiro fevereiro março maio junho julho setembro outubro novembro dezembro
segunda-feira terça-feira quarta-feira quinta-feira sexta-feira sábado domingo em às há
gener febrer març maig juny juliol agost setembre octubre novembre desembre
januari februari maret mei juni juli agustus oktober desember
senin selasa rabu kamis jumat sabtu minggu pukul jam menit hari lalu yang
tháng năm ngày giờ phút trước lúc
of image images photo photos picture pictures slide slides gallery foto fotos imagen imagem imagens galería
galeria sur bild dari ảnh hình
يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر منذ ساعة ساعات دقيقة
जनवरी फ़रवरी फरवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर
""".split())

#: Language names as each language writes its own (CLDR autonyms, as Wikipedia's interlanguage menus and
#: site language switchers show them); a line made only of these is a language menu.
AUTONYMS: tuple[str, ...] = (
    "Afrikaans", "Alemannisch", "Aragonés", "Asturianu", "Azərbaycanca", "Bahasa Indonesia", "Bahasa Melayu",
    "Bân-lâm-gú", "Basa Jawa", "Basa Sunda", "Boarisch", "Bosanski", "Brezhoneg", "Català", "Cebuano", "Čeština",
    "Cymraeg", "Dansk", "Deutsch", "Eesti", "English", "Español", "Esperanto", "Euskara", "Français", "Frysk",
    "Gaeilge", "Galego", "Hrvatski", "Ido", "Interlingua", "Interlingue", "Íslenska", "Italiano", "Kiswahili",
    "Kreyòl ayisyen", "Kurdî", "Ladin", "Latina", "Latviešu", "Lëtzebuergesch", "Lietuvių", "Limburgs",
    "Lombard", "Magyar", "Malagasy", "Malti", "Minangkabau", "Nederlands", "Norsk", "Norsk bokmål",
    "Norsk nynorsk", "Occitan", "Oʻzbekcha", "O'zbekcha", "Piemontèis", "Plattdüütsch", "Polski", "Português",
    "Română", "Runa Simi", "Sardu", "Shqip", "Sicilianu", "Simple English", "Slovenčina", "Slovenščina",
    "Soomaaliga", "Srpski", "Srpskohrvatski", "Suomi", "Svenska", "Tagalog", "Tiếng Việt", "Türkçe", "Vèneto",
    "Winaray", "Yorùbá", "isiZulu", "isiXhosa", "Kinyarwanda", "chiShona", "Luganda", "Wolof", "Ikirundi",
    "Lingála", "Setswana", "Sesotho", "Sesotho sa Leboa", "Xitsonga", "Chichewa", "Akan", "Twi", "Bamanankan",
    "Gĩkũyũ", "Hausa", "Igbo", "Fɔngbè", "Ελληνικά", "Беларуская", "Български", "Қазақша", "Кыргызча",
    "Македонски", "Монгол", "Нохчийн", "Русский", "Српски", "Српски / srpski", "Татарча", "Тоҷикӣ",
    "Українська", "Հայերեն", "עברית", "العربية", "مصرى", "فارسی", "اردو", "پښتو", "کوردی", "ئۇيغۇرچە",
    "हिन्दी", "मराठी", "नेपाली", "বাংলা", "অসমীয়া", "ਪੰਜਾਬੀ", "ગુજરાતી", "ଓଡ଼ିଆ", "தமிழ்", "తెలుగు", "ಕನ್ನಡ",
    "മലയാളം", "සිංහල", "ไทย", "ລາວ", "ភាសាខ្មែរ", "မြန်မာဘာသာ", "ქართული", "አማርኛ", "中文", "粵語", "文言",
    "日本語", "한국어", "简体中文", "繁體中文", "正體中文",
)
