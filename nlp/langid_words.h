/*
 * langid_words.h -- the word lists language identification relies on.
 *
 * Written by hand for kzpulse from general knowledge of each language (the
 * most frequent function words, pronouns, particles, auxiliaries, and the
 * everyday words of social posts and app reviews); nothing here is derived
 * from any corpus.  Included by langid.c only.  Words are separated by single
 * spaces, lower case, normalized as post text is.  Kazakh Cyrillic words are
 * also looked up in their "plain" spelling (жақсы -> жаксы), which langid.c
 * derives at start-up, so they need not be listed twice.
 */
#ifndef KZ_NLP_LANGID_WORDS_H
#define KZ_NLP_LANGID_WORDS_H

static const char nlp_words_kk[] =
    "және мен бен пен бұл осы сол ол олар біз сіз сен менің сенің оның біздің сіздің олардың "
    "маған саған оған бізге сізге оларға мені сені оны бізді сізді ғой ғана емес жоқ бар керек "
    "үшін туралы қазір бүгін ертең кеше енді әлі тағы өте көп аз жақсы жаман рахмет рақмет сәлем "
    "сәлеметсіз иә ия қалай қандай неге не кім қашан қайда неше қанша барлық бәрі әр бір екі үш "
    "төрт бес он жүз мың деп деді дейді еді екен екенін болды болады болып болса болған болмайды "
    "болмады бола берді береді беріп алды алады алып келді келеді келіп барды барады барып айтты "
    "айтады айтып жасау жасады жасап бойынша арқылы кейін дейін бері сияқты секілді мүмкін тиіс "
    "қажет халық халқы ел елі елде елдің елге мемлекет мемлекеттік үкімет әкім әкімдік әкімшілік "
    "қала қаласы қалада ауыл ауылы адам адамдар адамның жұмыс жұмысы ақша баға жыл жылы жылғы күн "
    "күні уақыт тіл тілі тілде тілін қазақ қазақша қазақтар орыс орысша қазақстан қазақстанда "
    "қазақстанның шығайық жиналайық жиналамыз шығамыз барамыз келіңіздер келіңдер шеру ереуіл "
    "наразылық соғыс соғысқа соғысты бейбітшілік азамат азаматтар жастар балалар бала ана әке "
    "ағай апай дос досым досым керемет тамаша өтінем өтінемін ұнады ұнамады ұнайды істейді "
    "қосымша қолданба ыңғайлы пайдалы түсінікті жаңа ескі үлкен кіші нашар ең мүлдем әбден дұрыс "
    "бірақ сондықтан себебі егер немесе әлде жарайды жарайсың сау болыңыз бол қайырлы таң кеш "
    "түн құттықтаймын сүйемін көремін білмеймін білемін түсінбедім түсінемін істемейді ашылмайды "
    "жүктелмейді тез баяу қолдану ыңғайсыз қиын оңай мұнда онда сонда кейде әрқашан ешқашан "
    "ешкім ештеңе бәріне барлығы бәрін бәріміз біреу біраз көптеген кейбір басқа өз өзі өзім "
    "өзің өзіміз туралы жайлы бойы дейін шейін сайын қарсы үстінде астында алдында артында "
    "ішінде сыртында арасында жанында қасында болсын болсаң болсаңыз шығар шығады шықты "
    "көрсетеді көрсетпейді жұмыс істемейді дұрыс емес өкінішке орай рахмет сізге көп рахмет "
    "жақсы екен керемет екен ұнады маған бағдарлама қызмет қызметі сапасы сапа тауар тапсырыс "
    "жеткізу жеткізді ақшасы ақшамды қайтарыңыз неше рет тағы да әлі де сондай осындай мынау "
    "анау мына ана сана сіздер біздер сендер олар да де та те ма ме ба бе па пе ше ғой қой "
    "жатыр жатқан отыр тұр жүр келе бара айта ала бере жаса біл біле білу оқу оқып жазу жазып "
    "сөз сөйле сөйлеу айт қара қарап көр көрдім келдім бардым алдым бердім айттым жаздым оқыдым "
    "ұят әділет әділдік шындық өтірік сайлау сайлауы президент депутат министр полиция сот "
    "заң заңы құқық бостандық тәуелсіздік отан ана тілі мемлекеттік тіл ұлт ұлттық халықтың "
    "жер жерін су ауа табиғат денсаулық аурухана мектеп мұғалім оқушы студент университет "
    "бағасы қымбат арзан жалақы зейнетақы тұрғын үй пәтер несие баспана тамақ нан ет сүт";

static const char nlp_words_kk_latn[] =
    "men jane zhane jäne jáne bul osy sol ol olar biz siz sen menin meniñ meniń senin onyñ onyn "
    "bizdin bizdiñ magan maǵan maġan sagan sizge bizge oġan ogan meni seni ony goi ǵoı ğoy gana "
    "ǵana ğana emes joq jok zhok bar kerek ushin üşin úshin ushın turaly qazir kazir bugin búgin "
    "bügin erteñ erten erteń keshe endi äli ali áli tagy taǵy tağy öte ote óte köp kop kóp az "
    "jaqsy jaksy zhaksy zhaqsy jaqsı jaksı jaman rahmet rakhmet raqmet rakmet salem sälem sálem "
    "salemetsiz sälemetsiz qalai qalay kalai kalay qandai qanday kandai kanday nege kim qashan "
    "kashan qaida qayda kaida barlyq barlyk bári bäri bari bir eki ush dep dedi edi eken boldy "
    "bolady bolyp bolsa bolǵan bolğan bolgan keldi keledi kelip bardy barady aitty aitady aytty "
    "boiynsha boyynsha arqyly keiin keyin deiin deyin siaqty siyakty mumkin múmkin mümkin halyq "
    "khalyq xalyq el eli memleket ukimet úkimet ükimet akim äkim ákim qala kala auyl adam adamdar "
    "jumys zhumys aqsha aksha baga baǵa bağa jyl zhyl jyly kun kún kün uaqyt uakyt til tili "
    "qazaq kazak qazaqsha kazaksha qazaqstan kazakstan qazaqstanda shygaiyq shyǵaıyq shyğayıq "
    "jinalaiyq jinalaiyk jinalamyz shygamyz baramyz keliñizder keliniz kelinizder sheru ereuil "
    "narazylyq sogys soǵys soğys azamat azamattar jastar balalar bala ana äke ake dos dosym "
    "keremet tamasha otinem ótinem unady unamady durys dúrys biraq birak sondyqtan sebebi eger "
    "nemese jaraidy zharaidy sau bolynyz bolyńyz qaiyrly kaiyrly tan tań kesh tün tun mynau "
    "sonda osynda munda onda ekenin degen degendi bilmeimin bilemin tusinbedim "
    "zhok joqpyn jogary ulken úlken kishi jana jaña jańa eski nashar en eñ eń muldem múldem "
    "sizder bizder sender olardyn bizdiñ qazaqtar orys oryssha sheteldik ulttyq ulttyk "
    "táýelsizdik täuelsizdik bostandyq saılaý sailau saylau prezident polisia sot zan zañ "
    "respýblıkasy respublikasy respy'bli'kasy qazaqstan'da s'ygaiyq";

static const char nlp_words_ru[] =
    "наших нашим нашего нашей нашему наша наше вашего ваших вашей ваше ваша своей своего своим "
    "своему моего моей моих моим твой твоя твои твоего этом этому эту тех теми чём чему себе собой "
    "ими нём давно недавно скоро сразу прямо вместе туда сюда оттуда отсюда зачем откуда куда "
    "вдруг пока кроме вокруг около возле среди ради вместо из-за насчет насчёт благодаря ибо будто "
    "словно чтоб будем будешь буду могу можешь могут хотят хочет хотим хотел хотела знает знаем "
    "знают знал думает думают вижу видим видел видела сказали сказала говорю говорил говорила "
    "делают сделал сделали пришли пришел пришёл идут живем живём живут работает работают нужна "
    "нужен нужны должен должна должны должно молчит молчат начали начал начало конец дело жизнь "
    "жизни мир мира день дня дни место слово случае друг друзья друзей семья дети детей ребенок "
    "ребёнок город города страну вопрос проблема проблемы помощь голос будущее улице улица доме "
    "работу школа школе которых котором которой которого такие такое такого таких какое какого "
    "всех всю всё-таки нибудь кто-то что-то где-то почему-то ничто никто нигде никуда некоторые "
    "несколько сколько столько тоже самое самом самых больше всего лучше всех правда неправда "
    "сегодняшний вчерашний завтрашний хватит стоит нужно было надо было пора уже нету нет-нет "
    "спасибо большое огромное потому-то поэтому-то сначала потом затем наконец сейчас тогда иногда "
    "часто редко везде всюду "
    "и в не на что я с как это по но они к у же вы за так все от из мы для о только был его "
    "когда уже если нет есть да ты бы он она оно их её ее мне меня тебя себя вот было были "
    "была будет может надо нужно очень еще ещё где кто чтобы который которые которая этот эта "
    "эти тоже также сейчас сегодня завтра вчера здесь там почему потому или ни без до при после "
    "через между под над со во про спасибо привет пожалуйста хорошо плохо люди человек время "
    "год года лет просто вообще даже всё всех всем свой своих мой моя мои наш наши ваш какой "
    "какая такой такая можно нельзя хочу знаю думаю сказал говорит ничего чего чем кого кому "
    "этого этой этих том тем той той тот того тому тут теперь потом тогда опять снова сам сама "
    "сами самый весь вся всего всегда никогда ведь вроде типа короче блин ну ага угу нас вас нам "
    "вам им ним нее него ней них россия россии россию украина украины украину казахстан "
    "казахстана казахстане война войны войну власть власти народ народа против сво митинг "
    "президент правительство страна страны стране деньги работа работы цены цена зарплата "
    "закон законы суд полиция выборы новости надо бы быть будут стал стала стали сделать "
    "делать идти пойти выходим собираемся приходите площадь завтра утром вечером часов часа "
    "пусть давайте давай можно ли разве неужели конечно наверное кажется похоже поэтому "
    "потому что хотя однако зато либо например значит кстати итак причем притом также "
    "который какие каких каким всеми всему многие много мало больше меньше лучше хуже "
    "очень сильно слишком почти совсем именно только лишь ещё уже снова первый второй "
    "новый старый большой маленький хороший плохой русский русские русских казахский "
    "язык языка языке на русском по-русски говорить говорят сказать пишут писать читать";

static const char nlp_words_uk[] =
    "і й та що не на це як але від для ми ви вони він вона воно є був була було були дуже також "
    "тому якщо коли все ще вже тільки лише цей ця ці щоб який яка яке які його її їх нас вас нам "
    "вам мене тебе себе свій своя свої можна треба буде будуть немає нема зараз сьогодні завтра "
    "вчора тут там де куди чому бо або чи ні так хто про після через між під над разом слава "
    "україні україна україни україну героям героям війна війни росія росії люди людей дякую "
    "привіт будь ласка мова мови мовою українська українською російська новини час рік року "
    "років наш наша наші ваш ваша свою своїх своєю ось отже звісно мабуть здається тобто "
    "цього цієї цих тим того тієї котрий котра котрі жодного нічого щось хтось десь завжди "
    "ніколи знову потім тоді спочатку нарешті більше менше краще гірше дуже сильно зовсім "
    "майже саме лише перший другий новий старий великий малий добрий поганий хороший "
    "говорити кажуть сказав сказала пишуть писати читати знаю думаю хочу можу треба "
    "окупанти окупантів рашисти рашистів перемога перемоги зсу збройні сили путін кремль";

static const char nlp_words_en[] =
    "the and of to a in is that for it was on are as with his they i at be this have from or "
    "one had by but not what all were we when your can said there an each which she do how "
    "their if will up other about out many then them these so some her would make like him "
    "into time has look two more go see no way could people my than first been call who its "
    "now find long down day did get come made may part over new after also just only our you "
    "me he us very because any give most why should war russia ukraine putin news good great "
    "thanks thank love hello yes don't can't it's i'm what's there's that's going really "
    "think know want need still even much here those where being against world government "
    "president military support russian ukrainian kazakhstan people's every never always "
    "again already before between both during through under while should would could might "
    "must shall let's he's she's they're we're you're isn't aren't wasn't weren't didn't "
    "doesn't won't wouldn't shouldn't couldn't haven't hasn't ever well back off too today "
    "tomorrow yesterday right left same such own next last best better worse bad nice "
    "please sorry sure ok okay lol wow yeah hey guys man men woman women kids children "
    "country countries state states city army soldiers troops peace freedom democracy "
    "west western nato sanctions invasion attack attacks killed civilians regime";

#endif /* KZ_NLP_LANGID_WORDS_H */
