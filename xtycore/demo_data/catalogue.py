"""The demo shop's catalogue, as written by a merchant: 小甜园, a tea, snack, kitchen and garden shop.

Each category lists its products one per line::

    中文标题 | English title | brand key | price of the first variant (yuan) | scheme | 中文卖点 | English selling point

``scheme`` names the variants (:data:`SCHEMES`); ``-`` takes the category's
default. :mod:`xtycore.demo_data` turns these lines into complete products.
"""

from __future__ import annotations

#: brand key -> (中文名, English name)
BRANDS = {
    "xty": ("小甜园自营", "Little Sweet Garden Select"),
    "xizi": ("西子茶园", "Xizi Tea Garden"),
    "yunling": ("云岭茶社", "Yunling Tea Club"),
    "shancha": ("山茶记", "Camellia Notes"),
    "minyan": ("闽岩茶仓", "Minyan Rock Tea"),
    "qimen": ("祁山红", "Qishan Red"),
    "huajian": ("花间集", "Between Flowers"),
    "suxin": ("酥心坊", "Crisp Heart Bakery"),
    "guoran": ("果然香", "Truly Fragrant"),
    "guoyuan": ("果园时光", "Orchard Days"),
    "fengyu": ("蜂语", "Bee Whisper"),
    "qingci": ("青瓷坊", "Celadon Workshop"),
    "taoran": ("陶然居", "Taoran Pottery"),
    "beile": ("焙乐", "Bake Joy"),
    "chujiang": ("厨匠", "Kitchen Craftsman"),
    "lvmuzhi": ("绿拇指", "Green Thumb"),
    "zhongzi": ("种籽铺", "The Seed Shop"),
    "yuanyiren": ("园艺人", "Gardener's Friend"),
}

#: top-level category name -> English name (their children are listed in CATEGORIES)
PARENTS = {"茶叶": "Tea", "零食": "Snacks", "厨房": "Kitchen", "园艺": "Garden"}

#: scheme key -> variants: (option name, option value, price multiplier, weight in grams)
SCHEMES = {
    "tea": [("规格", "50克罐装", "1", 90), ("规格", "100克罐装", "1.85", 160), ("规格", "250克礼盒", "4.2", 420)],
    "teabag": [("规格", "10袋装", "1", 60), ("规格", "20袋装", "1.8", 115)],
    "box": [("规格", "单盒", "1", 320), ("规格", "三盒装", "2.7", 950)],
    "flavour": [("口味", "原味", "1", 300), ("口味", "抹茶", "1", 300), ("口味", "红豆", "1.1", 300)],
    "nuts": [("规格", "250克", "1", 270), ("规格", "500克", "1.85", 530)],
    "nuts_flavour": [
        ("口味", "原味", "1", 270), ("口味", "椒盐", "1", 270),
        ("口味", "原味", "1.85", 530), ("口味", "椒盐", "1.85", 530),
    ],
    "fruit": [("规格", "200克", "1", 220), ("规格", "500克", "2.3", 530)],
    "jar": [("规格", "250克", "1", 400), ("规格", "500克", "1.8", 720)],
    "colour": [("颜色", "天青", "1", 450), ("颜色", "月白", "1", 450), ("颜色", "墨黑", "1.1", 450)],
    "single": [("规格", "标准", "1", 500)],
    "pan": [("尺码", "6寸", "1", 380), ("尺码", "8寸", "1.3", 520)],
    "pot": [("尺码", "20cm", "1", 1800), ("尺码", "24cm", "1.2", 2400), ("尺码", "28cm", "1.45", 3100)],
    "pack": [("规格", "单包", "1", 30), ("规格", "三包装", "2.6", 90)],
    "plant": [("规格", "小苗", "1", 600), ("规格", "大苗", "1.8", 1200)],
    "sml": [("尺码", "S", "1", 500), ("尺码", "M", "1.5", 900), ("尺码", "L", "2.2", 1500)],
}

#: the "nuts_flavour" scheme has two options per variant: 口味 and 规格
TWO_OPTION_SCHEMES = {"nuts_flavour": ("规格", ["250克", "250克", "500克", "500克"])}

# Each category: code, path, English name, default scheme, colours (two RGB hex), tags,
# a Chinese and an English paragraph every description of the category ends with, and the lines.
CATEGORIES = [
    {
        "code": "GT", "path": "茶叶/绿茶", "name_en": "Green tea", "scheme": "tea",
        "colours": ("#cfe8b8", "#5f8f3e"), "tags": ["绿茶", "新茶"],
        "zh": "建议80℃水温冲泡，首泡30秒，可续泡三次。密封避光保存，冷藏风味更佳。",
        "en": "Brew at 80 °C for 30 seconds; the leaves give three infusions. Keep sealed and dark, "
              "refrigerated for the freshest flavour.",
        "lines": """
西湖龙井 明前特级 | West Lake Longjing, Pre-Qingming Grade | xizi | 168 | - | 明前头采，豆香馥郁 | picked before Qingming, chestnut aroma
碧螺春 洞庭山新茶 | Dongting Biluochun | yunling | 128 | - | 卷曲如螺，花果清香 | spiral leaves with a fruity, floral fragrance
黄山毛峰 | Huangshan Maofeng | yunling | 88 | - | 白毫显露，兰香清幽 | downy buds and a soft orchid note
六安瓜片 | Lu'an Guapian | shancha | 98 | - | 单片成茶，回甘持久 | single-leaf tea with a long sweet finish
安吉白茶 | Anji Baicha | xizi | 138 | - | 氨基酸丰富，鲜爽甘醇 | rich in amino acids, fresh and mellow
信阳毛尖 | Xinyang Maojian | shancha | 78 | - | 细圆光直，栗香浓郁 | fine straight needles with a nutty aroma
太平猴魁 | Taiping Houkui | yunling | 198 | - | 两叶抱芽，兰香高爽 | two leaves hugging a bud, bright orchid fragrance
竹叶青 峨眉山 | Emei Zhuyeqing | shancha | 118 | - | 扁直翠绿，清香淡雅 | flat emerald leaves with a gentle fragrance
恩施玉露 | Enshi Yulu Steamed Green Tea | yunling | 108 | - | 蒸青工艺，色绿如玉 | steamed the old way, green as jade
都匀毛尖 | Duyun Maojian | shancha | 86 | - | 卷曲披毫，鲜爽回甘 | curled downy leaves, fresh with a sweet return
径山茶 | Jingshan Tea | xizi | 96 | - | 宋代茶宴名茶，清鲜细嫩 | the tea of Song-dynasty tea banquets, delicate and fresh
蒙顶甘露 | Mengding Ganlu | yunling | 112 | - | 紧卷多毫，甘甜鲜爽 | tightly rolled, sweet and lively
日照绿茶 | Rizhao Green Tea | xty | 58 | - | 北方绿茶，栗香浓厚 | northern green tea with a deep chestnut note
庐山云雾 | Lushan Cloud and Mist | shancha | 92 | - | 云雾滋养，香高味醇 | grown in mountain mist, fragrant and smooth
紫阳富硒茶 | Ziyang Selenium-rich Green Tea | xty | 68 | - | 汤色嫩绿，滋味鲜醇 | bright green liquor and a fresh taste
龙井 日常口粮装 | Longjing Everyday Pack | xty | 62 | - | 日常口粮，实惠之选 | for every day, at a friendly price
""",
    },
    {
        "code": "OT", "path": "茶叶/乌龙茶", "name_en": "Oolong tea", "scheme": "tea",
        "colours": ("#f0d9a8", "#9a6a2f"), "tags": ["乌龙茶", "岩茶"],
        "zh": "建议100℃沸水冲泡，盖碗出汤宜快，可续泡六至八次。常温密封，远离异味。",
        "en": "Brew with boiling water and pour quickly from a gaiwan; good for six to eight infusions. "
              "Store sealed at room temperature, away from strong smells.",
        "lines": """
武夷大红袍 | Wuyi Da Hong Pao | minyan | 168 | - | 岩骨花香，焙火醇厚 | rock minerality and floral notes, charcoal roasted
安溪铁观音 清香型 | Anxi Tieguanyin, Light Roast | minyan | 98 | - | 兰花香高，回甘明显 | orchid fragrance and a clear sweet finish
铁观音 浓香型 | Tieguanyin, Traditional Roast | minyan | 108 | - | 炭焙熟香，汤色金黄 | charcoal-roasted with a golden liquor
武夷肉桂 | Wuyi Rougui Cassia Oolong | minyan | 158 | - | 桂皮辛香，岩韵明显 | cinnamon-spice notes with rock character
武夷水仙 | Wuyi Shuixian Narcissus | minyan | 128 | - | 木质香醇，汤感厚滑 | woody and smooth with a thick body
凤凰单丛 蜜兰香 | Phoenix Dancong, Honey Orchid | yunling | 138 | - | 蜜韵兰香，山韵悠长 | honey and orchid with a long mountain finish
凤凰单丛 芝兰香 | Phoenix Dancong, Zhilan Orchid | yunling | 148 | - | 芝兰幽香，汤色橙黄 | a deep orchid scent in an orange liquor
冻顶乌龙 | Dong Ding Oolong | shancha | 118 | - | 半球形颗粒，焙香甘润 | rolled pearls, roasted and mellow
阿里山高山乌龙 | Alishan High Mountain Oolong | shancha | 168 | - | 高山冷韵，奶香清雅 | cool high-mountain character with a creamy note
东方美人 | Oriental Beauty | shancha | 188 | - | 蜜果香，小绿叶蝉叮咬而成 | honeyed fruit notes from leafhopper-bitten leaves
黄金桂 | Huangjin Gui Golden Osmanthus | minyan | 88 | - | 香气奇特，俗称透天香 | a striking fragrance the locals call sky-piercing
漳平水仙 茶饼 | Zhangping Shuixian Tea Cakes | minyan | 96 | - | 纸包方饼，花香细腻 | paper-wrapped square cakes with delicate florals
金萱乌龙 | Jin Xuan Milk Oolong | shancha | 86 | - | 天然奶香，顺滑易饮 | a natural milky note, smooth and easy
桂花乌龙 | Osmanthus Oolong | xty | 78 | - | 桂花窨制，甜香宜人 | scented with osmanthus, sweet and inviting
蜜桃乌龙 冷泡茶 | Peach Oolong Cold Brew | xty | 68 | teabag | 冷泡三小时，果香清甜 | cold-brews in three hours, fruity and sweet
老枞水仙 | Old Bush Shuixian | minyan | 238 | - | 五十年老枞，苔藓木香 | from fifty-year-old bushes, mossy and woody
""",
    },
    {
        "code": "BT", "path": "茶叶/红茶", "name_en": "Black tea", "scheme": "tea",
        "colours": ("#f3c9b0", "#8c3b22"), "tags": ["红茶"],
        "zh": "建议90℃水温冲泡，可清饮，也可加奶调饮。密封常温保存，越陈越醇。",
        "en": "Brew at 90 °C and enjoy it plain or with milk. Store sealed at room temperature; "
              "it mellows with time.",
        "lines": """
祁门红茶 | Keemun Black Tea | qimen | 118 | - | 祁门香，蜜糖香 | the famous Keemun aroma of honey and orchid
正山小种 | Lapsang Souchong | minyan | 108 | - | 松烟香，桂圆汤 | pine smoke and a longan-sweet liquor
金骏眉 | Jin Jun Mei | minyan | 198 | - | 芽头制成，花果蜜香 | made of buds alone, honeyed fruit and flowers
滇红 金芽 | Dianhong Golden Buds | yunling | 128 | - | 金毫显露，甜润饱满 | golden tips, sweet and full
英德红茶 英红九号 | Yingde Black Tea No. 9 | yunling | 98 | - | 汤色红艳，适合调奶 | a bright red liquor, lovely with milk
坦洋工夫 | Tanyang Gongfu Black Tea | minyan | 88 | - | 工夫红茶，桂圆香 | gongfu-style with a longan note
宜兴红茶 | Yixing Black Tea | shancha | 78 | - | 江南红茶，柔和甘甜 | a soft, sweet black tea from Jiangnan
九曲红梅 | Jiuqu Hongmei | xizi | 92 | - | 条索弯曲，梅香清雅 | curled leaves with a gentle plum note
川红工夫 | Sichuan Gongfu Black Tea | shancha | 72 | - | 橘糖香，汤色明亮 | an orange-candy aroma and a bright liquor
古树滇红 | Ancient Tree Dianhong | yunling | 168 | - | 古树原料，醇厚回甘 | from old tea trees, rich with a long finish
早餐红茶 茶包 | Breakfast Black Tea Bags | xty | 58 | teabag | 浓郁醇厚，加奶加糖皆宜 | brisk and bold, with or without milk
荔枝红茶 | Lychee Black Tea | xty | 66 | - | 荔枝果香，冷热皆宜 | lychee-scented, hot or iced
玫瑰红茶 | Rose Black Tea | huajian | 68 | - | 玫瑰花瓣拼配，香甜柔和 | blended with rose petals, sweet and soft
政和工夫 | Zhenghe Gongfu Black Tea | minyan | 96 | - | 闽红三大工夫之一 | one of the three great gongfu black teas of Fujian
白琳工夫 | Bailin Gongfu Black Tea | minyan | 86 | - | 毫色金黄，鲜甜爽口 | golden-tipped, fresh and sweet
阿萨姆风味红茶 | Assam-style Strong Black Tea | xty | 62 | teabag | 麦芽香浓，奶茶首选 | malty and strong, made for milk tea
""",
    },
    {
        "code": "FT", "path": "茶叶/花草茶", "name_en": "Flower and herbal tea", "scheme": "teabag",
        "colours": ("#f7d6e0", "#b0476b"), "tags": ["花草茶", "养生"],
        "zh": "每袋一杯，沸水冲泡五分钟即可，冷泡风味同样出色。开封后请密封防潮。",
        "en": "One bag makes one cup: steep in boiling water for five minutes, or cold-brew it. "
              "Reseal after opening to keep it dry.",
        "lines": """
杭白菊 胎菊 | Hangzhou Chrysanthemum Buds | huajian | 39 | - | 未开胎菊，清香甘甜 | unopened buds, fragrant and sweet
茉莉花茶 飘雪 | Jasmine Snowflake Tea | huajian | 58 | tea | 七窨一提，花香鲜灵 | scented seven times with fresh jasmine
茉莉龙珠 | Jasmine Dragon Pearls | huajian | 78 | tea | 手工揉捻成珠，冲泡舒展 | hand-rolled pearls that unfurl in the cup
桂花茶 | Dried Osmanthus Flowers | huajian | 36 | - | 金桂晒干，甜香浓郁 | sun-dried golden osmanthus, sweet and rich
玫瑰花冠茶 | Rose Bud Tea | huajian | 45 | - | 大朵花冠，色泽艳丽 | whole large blooms in vivid colour
洛神花 | Roselle Hibiscus | xty | 32 | - | 酸甜可口，冷泡更佳 | tangy-sweet and even better iced
冻干柠檬片 | Freeze-dried Lemon Slices | guoran | 35 | - | 冻干锁鲜，泡水即饮 | freeze-dried for freshness: just add water
大麦茶 | Roasted Barley Tea | xty | 29 | - | 焦香浓郁，饭后解腻 | toasty and comforting after a meal
苦荞茶 | Tartary Buckwheat Tea | xty | 32 | - | 麦香清新，冷热皆宜 | nutty buckwheat, hot or cold
红豆薏米茶 | Red Bean and Job's Tears Tea | xty | 39 | - | 谷物拼配，温和养身 | a gentle grain blend
菊花枸杞茶 | Chrysanthemum and Goji Tea | huajian | 42 | - | 菊花配枸杞，清润明目 | chrysanthemum with goji berries
金银花茶 | Honeysuckle Tea | huajian | 38 | - | 花蕾饱满，清香宜人 | plump buds with a clean scent
薄荷叶 | Dried Peppermint Leaves | huajian | 29 | - | 清凉提神，适合调饮 | cooling and refreshing, great in blends
蜜桃乌龙 三角茶包 | Peach Oolong Pyramid Bags | xty | 49 | - | 果粒茶包，办公室好伴侣 | fruit-piece pyramid bags for the office
白桃乌龙 冷泡 | White Peach Oolong Cold Brew | xty | 52 | - | 冷泡即饮，清甜解暑 | cold-brewed, sweet and cooling
百合花茶 | Lily Flower Tea | huajian | 46 | - | 花型完整，淡雅清香 | whole lilies, light and elegant
""",
    },
    {
        "code": "CP", "path": "零食/中式糕点", "name_en": "Chinese pastries", "scheme": "box",
        "colours": ("#fbe3c4", "#c2782e"), "tags": ["糕点", "下午茶"],
        "zh": "当日现烤，独立小包装，常温保存15天。配一壶清茶，就是小甜园的下午茶。",
        "en": "Baked on the day and wrapped one by one; keeps 15 days at room temperature. "
              "Add a pot of tea for a Little Sweet Garden afternoon.",
        "lines": """
绿豆糕 | Mung Bean Cakes | suxin | 28 | - | 入口即化，清甜不腻 | melt-in-the-mouth, sweet but light
桂花糕 | Osmanthus Cakes | suxin | 32 | - | 桂花蜜香，软糯细腻 | soft and fragrant with osmanthus honey
凤梨酥 | Pineapple Cakes | suxin | 48 | - | 酥皮饱满，凤梨果馅 | a buttery crust with real pineapple filling
蛋黄酥 | Salted Egg Yolk Pastries | suxin | 56 | - | 整颗咸蛋黄，层层起酥 | a whole salted yolk in flaky layers
玫瑰鲜花饼 | Rose Flower Cakes | suxin | 45 | - | 云南食用玫瑰，花香四溢 | filled with Yunnan edible roses
老婆饼 | Wife Cakes | suxin | 32 | - | 冬瓜馅料，酥软香甜 | winter-melon filling in a tender crust
杏仁饼 | Almond Cookies | suxin | 36 | - | 杏仁香脆，经典广式 | crisp Cantonese almond cookies
核桃酥 | Walnut Shortbread | suxin | 29 | - | 酥松掉渣，核桃香浓 | crumbly shortbread rich with walnut
麻薯 | Mochi | xty | 39 | flavour | 软糯拉丝，三种口味 | chewy mochi in three flavours
抹茶麻薯蛋黄酥 | Matcha Mochi Egg Yolk Pastries | suxin | 62 | - | 麻薯夹心，咸甜交融 | a mochi core where sweet meets salty
牛舌饼 | Ox-tongue Pastries | suxin | 34 | - | 椒盐酥香，薄脆可口 | savoury pepper-salt in thin, crisp layers
枣泥酥 | Red Date Paste Pastries | suxin | 38 | - | 枣泥细腻，酥皮层叠 | smooth date paste in flaky pastry
四季糕点礼盒 | Four Seasons Pastry Gift Box | suxin | 88 | single | 八款糕点，送礼体面 | eight kinds of pastry in an elegant gift box
云片糕 | Cloud Slice Cakes | xty | 26 | - | 薄如云片，米香清甜 | thin as clouds, with a sweet rice flavour
沙琪玛 | Sachima | xty | 25 | flavour | 松软香甜，蛋香浓郁 | soft and sweet with a rich egg flavour
芝麻薄脆 | Sesame Crisps | xty | 22 | - | 薄脆芝麻，一口一片 | paper-thin sesame crisps, one bite each
""",
    },
    {
        "code": "NS", "path": "零食/坚果炒货", "name_en": "Nuts and seeds", "scheme": "nuts",
        "colours": ("#eadcc5", "#7b5a3a"), "tags": ["坚果", "零食"],
        "zh": "新季原料，低温烘烤，充氮锁鲜包装。开袋后请尽快食用或密封保存。",
        "en": "New-season nuts, roasted low and slow, packed under nitrogen to stay fresh. "
              "Reseal or finish soon after opening.",
        "lines": """
每日坚果 混合装 | Daily Mixed Nuts | xty | 59 | single | 六种坚果果干，独立小包 | six nuts and fruits in daily packs
奶油碧根果 | Buttered Pecans | guoran | 45 | - | 果仁饱满，奶香浓郁 | plump kernels, rich and buttery
夏威夷果 | Macadamia Nuts | guoran | 49 | - | 附开口器，果仁香脆 | crisp kernels, opener included
原色开心果 | Natural Pistachios | guoran | 52 | nuts_flavour | 自然开口，未经漂白 | naturally split and never bleached
巴旦木 | Badam Almonds | guoran | 42 | - | 薄壳易剥，奶香味 | thin shells that crack easily
炭烧腰果 | Charcoal-roasted Cashews | guoran | 55 | - | 炭烧工艺，颗颗饱满 | charcoal roasted, plump and whole
核桃仁 | Walnut Kernels | guoran | 39 | - | 新季核桃，去壳即食 | new-season walnuts, shelled and ready
临安山核桃 | Lin'an Hickory Nuts | guoran | 68 | nuts_flavour | 手剥山核桃，香味浓厚 | hand-cracked hickory nuts with a deep flavour
焦糖瓜子 | Caramel Sunflower Seeds | xty | 25 | - | 焦糖香甜，追剧必备 | caramel-sweet, the perfect snack for a series
南瓜子 | Roasted Pumpkin Seeds | xty | 26 | - | 颗粒饱满，咸香可口 | plump and lightly salted
鱼皮花生 | Fish-skin Peanuts | xty | 22 | - | 外酥里脆，佐餐小食 | crunchy coated peanuts
东北红松子 | Korean Pine Nuts | guoran | 79 | - | 手剥红松子，油润清香 | hand-opened pine nuts, rich and fragrant
东北榛子 | Roasted Hazelnuts | guoran | 48 | - | 皮薄仁香，颗粒均匀 | thin-shelled and evenly sized
兰花豆 | Orchid Broad Beans | xty | 23 | - | 酥脆开花，咸香可口 | crisp broad beans, salty and savoury
坚果礼盒 年货 | Nut Gift Box for the New Year | guoran | 128 | single | 八种坚果，团圆分享 | eight kinds of nuts to share
黑芝麻丸 | Black Sesame Balls | xty | 35 | - | 九蒸九晒，无添加蔗糖 | steamed and sun-dried nine times, no added sucrose
""",
    },
    {
        "code": "DF", "path": "零食/果干蜜饯", "name_en": "Dried and candied fruit", "scheme": "fruit",
        "colours": ("#ffe1a8", "#d8642a"), "tags": ["果干", "零食"],
        "zh": "精选当季鲜果，低温烘干，不额外添加色素。开封后请密封冷藏。",
        "en": "Made from in-season fruit dried at low temperature, with no added colouring. "
              "Reseal and refrigerate after opening.",
        "lines": """
芒果干 | Dried Mango | guoran | 29 | - | 肉厚柔软，酸甜适中 | thick, soft and tangy-sweet
蔓越莓干 | Dried Cranberries | guoran | 25 | - | 烘焙好搭档，酸甜可口 | a baker's favourite, sweet and tart
新疆葡萄干 | Xinjiang Raisins | guoran | 22 | - | 吐鲁番阳光晒制 | sun-dried in Turpan
和田红枣 | Hotan Red Dates | guoran | 39 | - | 个大肉厚，甜而不腻 | large and fleshy, naturally sweet
话梅 | Preserved Plums | guoran | 19 | - | 酸甜咸香，生津止渴 | sweet, sour and salty
新会陈皮 | Xinhui Aged Tangerine Peel | guoran | 69 | - | 三年陈，可泡茶煲汤 | aged three years, for tea or soup
山楂条 | Hawthorn Strips | xty | 19 | - | 酸甜开胃，童年味道 | tangy and appetising, a taste of childhood
黄桃干 | Dried Yellow Peach | guoran | 32 | - | 果香浓郁，软糯有嚼劲 | fragrant, soft and chewy
冻干草莓 | Freeze-dried Strawberries | guoran | 36 | - | 冻干酥脆，保留原味 | crisp and freeze-dried with the true flavour
无花果干 | Dried Figs | guoran | 35 | - | 籽粒丰富，自然清甜 | seedy and naturally sweet
桂圆干 | Dried Longan | guoran | 42 | - | 肉厚核小，甜香浓郁 | thick flesh, small seeds, rich sweetness
蓝莓干 | Dried Blueberries | guoran | 38 | - | 颗粒完整，酸甜可口 | whole berries, sweet and tart
富平柿饼 | Fuping Dried Persimmons | guoran | 45 | - | 流心柿饼，自然糖霜 | soft-centred with a natural sugar bloom
九制橄榄 | Nine-times Preserved Olives | xty | 22 | - | 回甘生津，解腻小食 | a lingering sweet finish
菠萝干 | Dried Pineapple | guoran | 26 | - | 果肉厚实，酸甜适口 | thick pieces, sweet and tart
果干拼盘 | Dried Fruit Sampler | guoran | 59 | single | 八种果干，一次尝遍 | eight dried fruits in one box
""",
    },
    {
        "code": "HJ", "path": "零食/蜂蜜果酱", "name_en": "Honey and jam", "scheme": "jar",
        "colours": ("#ffe9a0", "#c98a12"), "tags": ["蜂蜜", "早餐"],
        "zh": "玻璃瓶装，常温避光保存。蜂蜜结晶是自然现象，温水隔瓶加热即可化开。",
        "en": "In glass jars; store at room temperature away from light. Honey crystallising is natural: "
              "warm the jar in water to melt it.",
        "lines": """
百花蜜 | Wildflower Honey | fengyu | 39 | - | 多种花源，甜润温和 | from many blossoms, mild and sweet
长白山椴树蜜 | Changbai Linden Honey | fengyu | 59 | - | 结晶雪白，清香怡人 | crystallises snow-white with a delicate aroma
枣花蜜 | Jujube Blossom Honey | fengyu | 49 | - | 色泽琥珀，浓郁醇厚 | amber and full-bodied
洋槐蜜 | Acacia Honey | fengyu | 55 | - | 清淡水白，不易结晶 | pale and light, slow to crystallise
荔枝蜜 | Lychee Blossom Honey | fengyu | 52 | - | 荔枝花香，甜而不腻 | lychee-blossom fragrance, sweet but light
原生巢蜜 | Raw Honeycomb | fengyu | 99 | single | 原生蜂巢，可直接嚼食 | natural comb you can chew
草莓果酱 | Strawberry Jam | guoyuan | 29 | - | 果肉含量高，酸甜浓郁 | packed with real fruit
蓝莓果酱 | Blueberry Jam | guoyuan | 32 | - | 大兴安岭野生蓝莓 | wild blueberries from the Greater Khingan
蜂蜜柚子茶 | Honey Citron Tea | fengyu | 36 | - | 冲饮抹面包两相宜 | for drinks or on toast
糖桂花 | Sweet Osmanthus Syrup | huajian | 34 | - | 糖渍桂花，点缀甜品 | candied osmanthus for desserts
玫瑰酱 | Rose Petal Jam | huajian | 38 | - | 鲜玫瑰花瓣腌制 | made from fresh rose petals
香橙果酱 | Orange Marmalade | guoyuan | 31 | - | 带果皮，微苦回甘 | with peel, pleasantly bitter
无花果酱 | Fig Jam | guoyuan | 35 | - | 搭配奶酪绝佳 | wonderful with cheese
颗粒花生酱 | Crunchy Peanut Butter | xty | 29 | - | 颗粒口感，香浓顺口 | crunchy and rich
石磨芝麻酱 | Stone-ground Sesame Paste | xty | 26 | - | 石磨工艺，香浓顺滑 | stone-ground, rich and smooth
三味蜂蜜礼盒 | Honey Trio Gift Box | fengyu | 128 | single | 三种单花蜜，礼盒装 | three single-flower honeys in a gift box
""",
    },
    {
        "code": "TW", "path": "茶具", "name_en": "Teaware", "scheme": "colour",
        "colours": ("#d6e6e4", "#3f6f6a"), "tags": ["茶具"],
        "zh": "首次使用前请用温水清洗。手工制品，釉色与尺寸略有差异，每一件都独一无二。",
        "en": "Rinse in warm water before first use. Made by hand, so glaze and size vary slightly: "
              "every piece is one of a kind.",
        "lines": """
龙泉青瓷盖碗 | Longquan Celadon Gaiwan | qingci | 88 | - | 龙泉青瓷，釉色温润 | Longquan celadon with a soft glaze
白瓷品茗杯 六只装 | Porcelain Tasting Cups, Set of Six | qingci | 69 | single | 薄胎白瓷，透光如玉 | thin porcelain that glows
紫砂壶 西施 | Yixing Clay Teapot, Xishi Shape | taoran | 299 | single | 原矿紫泥，手工制作 | hand-made from raw purple clay
玻璃公道杯 | Glass Fairness Pitcher | taoran | 45 | single | 耐热玻璃，带滤网 | heat-resistant glass with a strainer
便携旅行茶具 | Travel Tea Set | xty | 129 | - | 一壶四杯，附收纳包 | one pot and four cups in a carry case
楠竹储水茶盘 | Bamboo Tea Tray with Reservoir | taoran | 159 | sml | 储水式设计，楠竹材质 | moso bamboo with a water reservoir
建盏 兔毫 | Jian Ware Tea Bowl, Hare's Fur | taoran | 198 | single | 柴烧建盏，兔毫纹理 | wood-fired with a hare's-fur glaze
飘逸杯 | One-touch Tea Pot | xty | 59 | - | 一键出水，办公室泡茶 | one-button pour for the office
茶道六君子 | Six Gentlemen Tea Tools | taoran | 79 | single | 黑檀木，茶道基础工具 | ebony tools for the tea ceremony
汝窑茶杯 | Ru Kiln Teacup | qingci | 58 | - | 开片天青，越养越美 | sky-blue glaze that crazes with use
粗陶煮茶炉 | Stoneware Tea Stove | taoran | 239 | single | 电陶炉煮茶，围炉时光 | an electric stove for simmering tea
耐热玻璃茶壶 | Heat-resistant Glass Teapot | xty | 69 | single | 可明火加热，观赏茶叶舒展 | stovetop-safe: watch the leaves dance
锡制茶叶罐 | Tin Tea Caddy | taoran | 139 | - | 密封防潮，保存茶叶 | airtight and dry for your tea
茶宠 小金蟾 | Tea Pet, Golden Toad | taoran | 49 | single | 淋茶变色，桌上小趣 | changes colour when you pour tea on it
不锈钢茶滤 | Stainless Steel Tea Strainer | xty | 39 | single | 细密滤网，易于清洗 | a fine mesh that is easy to clean
盖碗茶具礼盒 | Gaiwan Tea Set Gift Box | qingci | 268 | - | 一碗一海六杯 | a gaiwan, a pitcher and six cups
""",
    },
    {
        "code": "BK", "path": "厨房/烘焙工具", "name_en": "Baking tools", "scheme": "single",
        "colours": ("#f6e0d3", "#b05d3b"), "tags": ["烘焙", "厨房"],
        "zh": "食品级材质，首次使用前请清洗晾干。配套小甜园烘焙食谱，新手也能上手。",
        "en": "Food-grade materials; wash and dry before first use. Comes with Little Sweet Garden "
              "recipes so beginners can start right away.",
        "lines": """
戚风蛋糕模具 | Chiffon Cake Pan | beile | 39 | pan | 阳极铝材质，易脱模 | anodised aluminium for an easy release
电动打蛋器 | Electric Hand Mixer | beile | 129 | - | 五档调速，轻巧省力 | five speeds, light in the hand
硅胶刮刀 三件套 | Silicone Spatula Set of Three | beile | 29 | - | 耐高温，一体成型 | heat-proof and moulded in one piece
烘焙电子秤 | Baking Scale | beile | 49 | - | 精确到0.1克 | accurate to 0.1 g
裱花嘴套装 | Piping Tip Set | beile | 35 | - | 24个花嘴，附裱花袋 | 24 tips with piping bags
带盖吐司盒 | Pullman Loaf Pan with Lid | beile | 45 | - | 方正吐司，不粘涂层 | square loaves with a non-stick coating
不粘烤盘 | Non-stick Baking Tray | beile | 39 | - | 加厚碳钢，受热均匀 | thick carbon steel for even heat
榉木擀面杖 | Beech Rolling Pin | chujiang | 25 | - | 实木打磨，手感舒适 | solid wood, well balanced
双层面粉筛 | Double-mesh Flour Sifter | beile | 22 | - | 双层细网，过筛细腻 | a fine double mesh for silky flour
不锈钢冷却架 | Stainless Steel Cooling Rack | beile | 32 | - | 可叠放，节省空间 | stackable to save space
烘焙油纸 | Baking Paper Roll | xty | 18 | - | 双面硅油，不粘不渗 | coated on both sides, non-stick
手压月饼模具 | Mooncake Press | beile | 36 | - | 附六款花片 | with six patterns
蛋挞模 十二只装 | Egg Tart Tins, Set of Twelve | beile | 28 | - | 加厚铝材，受热均匀 | thick aluminium, evenly baked
量杯量勺套装 | Measuring Cups and Spoons | beile | 33 | - | 刻度清晰，不锈钢材质 | clear markings in stainless steel
硅胶揉面垫 | Silicone Pastry Mat | beile | 42 | - | 带刻度，防滑不移位 | with measurements, and it stays put
家用厨师机 | Stand Mixer | beile | 599 | - | 五升大容量，揉面打发 | a five-litre bowl for kneading and whipping
""",
    },
    {
        "code": "PK", "path": "厨房/锅具刀具", "name_en": "Pots, pans and knives", "scheme": "pot",
        "colours": ("#dfe3ea", "#46506a"), "tags": ["锅具", "厨房"],
        "zh": "适用于燃气灶与电磁炉（陶制品除外）。刀具请手洗擦干，定期磨刀保持锋利。",
        "en": "Works on gas and induction (except clay pots). Wash knives by hand, dry them, "
              "and hone them regularly to keep the edge.",
        "lines": """
铸铁珐琅锅 | Enamelled Cast-iron Casserole | chujiang | 399 | - | 锁水焖炖，受热均匀 | keeps moisture in and heats evenly
不锈钢炒锅 | Stainless Steel Wok | chujiang | 259 | - | 三层复合底，少油烟 | tri-ply base, less smoke
不粘平底锅 | Non-stick Frying Pan | chujiang | 149 | - | 少油煎蛋不粘 | fry eggs with little oil and no sticking
传统砂锅 | Traditional Clay Pot | taoran | 89 | - | 慢火煲汤，保温持久 | for slow soups that stay hot
不锈钢汤锅 | Stainless Steel Stockpot | chujiang | 199 | - | 加厚复底，容量充足 | a thick base and plenty of room
中式菜刀 | Chinese Chef's Knife | chujiang | 169 | single | 切片斩剁一刀多用 | slices and chops, one knife for all
三德刀 | Santoku Knife | chujiang | 189 | single | 大马士革纹钢 | Damascus-pattern steel
水果刀 | Paring Knife | chujiang | 69 | single | 小巧锋利，随手好用 | small, sharp and handy
刀具套装 | Knife Block Set | chujiang | 499 | single | 七件套，附刀座 | seven pieces with a block
竹砧板 | Bamboo Chopping Board | chujiang | 79 | sml | 整竹压制，不易开裂 | pressed whole bamboo that resists cracking
双面磨刀石 | Whetstone 1000/6000 | chujiang | 89 | single | 粗细双面，附底座 | coarse and fine sides, with a base
双层蒸锅 | Two-tier Steamer | chujiang | 229 | - | 蒸馒头蒸鱼两不误 | buns and fish at once
不粘奶锅 | Non-stick Milk Pan | chujiang | 99 | single | 单柄小锅，热奶煮面 | a small pan for milk or noodles
章丘铁锅 | Zhangqiu Hand-forged Iron Wok | chujiang | 299 | - | 手工锻打，越用越好用 | hand-forged and better with every use
厨房剪刀 | Kitchen Shears | chujiang | 59 | single | 可拆洗，带开瓶器 | come apart for cleaning, bottle opener included
陶瓷刀 | Ceramic Knife | chujiang | 89 | single | 锋利持久，不生锈 | stays sharp and never rusts
""",
    },
    {
        "code": "SD", "path": "园艺/种子花苗", "name_en": "Seeds and plants", "scheme": "pack",
        "colours": ("#d9f0c8", "#3f7d3a"), "tags": ["园艺", "阳台种菜"],
        "zh": "附种植说明卡。花苗带土发货，到货后请及时浇透水，放在散射光处缓苗三天。",
        "en": "Growing card included. Plants ship in their soil: water them well on arrival and "
              "give them three days in bright shade to settle.",
        "lines": """
樱桃萝卜种子 | Cherry Radish Seeds | zhongzi | 9.9 | - | 三十天收获，阳台易种 | harvest in thirty days, easy on a balcony
小番茄种子 | Cherry Tomato Seeds | zhongzi | 12.8 | - | 酸甜多汁，盆栽可种 | sweet and juicy, fine in a pot
香菜种子 | Coriander Seeds | zhongzi | 8.8 | - | 发芽快，随吃随剪 | quick to sprout, cut as you need
薄荷苗 | Mint Plant | lvmuzhi | 15.8 | plant | 清凉香气，泡水调饮 | cool fragrance for drinks
多肉组合 | Succulent Collection | lvmuzhi | 39 | single | 六株多肉，附陶盆 | six succulents with a clay pot
绿萝 | Golden Pothos | lvmuzhi | 25 | plant | 好养耐阴，净化空气 | easy, shade-tolerant and green
月季花苗 | Rose Bush | lvmuzhi | 29 | plant | 四季开花，花色艳丽 | flowers from spring to autumn in bright colours
观赏向日葵种子 | Ornamental Sunflower Seeds | zhongzi | 9.9 | - | 矮生品种，适合盆栽 | a dwarf variety for pots
草莓苗 | Strawberry Plant | lvmuzhi | 19.8 | plant | 当年结果，阳台采摘 | fruits the first year, pick on your balcony
茉莉花苗 | Jasmine Plant | lvmuzhi | 35 | plant | 花香浓郁，夏季盛开 | richly scented, blooms in summer
罗勒种子 | Basil Seeds | zhongzi | 8.8 | - | 意式香草，厨房必备 | the Italian herb every kitchen needs
生菜种子 | Lettuce Seeds | zhongzi | 7.8 | - | 速生蔬菜，四季可种 | fast-growing, sow in any season
蓝莓树苗 | Blueberry Bush | lvmuzhi | 49 | plant | 两年苗，次年挂果 | two years old, fruits next year
迷迭香苗 | Rosemary Plant | lvmuzhi | 18 | plant | 耐旱好养，烹饪香草 | drought-tolerant cooking herb
风信子种球 | Hyacinth Bulbs | zhongzi | 22 | - | 水培土培皆可 | grow in water or soil
郁金香种球 | Tulip Bulbs | zhongzi | 26 | - | 荷兰进口，春季开花 | imported from the Netherlands, flowers in spring
""",
    },
    {
        "code": "GP", "path": "园艺/花盆园艺工具", "name_en": "Pots and garden tools", "scheme": "sml",
        "colours": ("#e8ddd0", "#8a5a3c"), "tags": ["园艺", "工具"],
        "zh": "阳台、庭院与室内都适用。花盆底部均有排水孔，工具手柄防滑省力。",
        "en": "For balconies, gardens and indoors. Every pot has drainage holes; tool handles are "
              "non-slip and easy on the hands.",
        "lines": """
北欧风陶瓷花盆 | Nordic Ceramic Planter | yuanyiren | 39 | - | 哑光釉面，百搭简约 | a matte glaze that suits any room
红陶盆 | Terracotta Pot | yuanyiren | 19 | - | 透气性好，养根壮苗 | breathable for healthy roots
自动吸水花盆 | Self-watering Planter | yuanyiren | 29 | - | 出差一周不用浇水 | a week away without watering
园艺工具三件套 | Garden Hand Tools, Set of Three | yuanyiren | 45 | single | 铲耙锹一应俱全 | trowel, rake and fork
修枝剪 | Pruning Shears | yuanyiren | 59 | single | 省力剪切，安全锁扣 | easy cutting with a safety lock
长嘴喷壶 | Long-spout Watering Can | yuanyiren | 35 | - | 出水均匀，不冲土 | an even flow that leaves the soil in place
通用营养土 | All-purpose Potting Soil | lvmuzhi | 25 | - | 疏松透气，开袋即用 | light and airy, ready to use
缓释肥 | Slow-release Fertiliser | lvmuzhi | 22 | single | 一次施肥，长效三个月 | one feed lasts three months
园艺手套 | Gardening Gloves | yuanyiren | 19 | - | 防刺耐磨，透气舒适 | thorn-proof and breathable
铁艺花架 | Iron Plant Stand | yuanyiren | 129 | - | 多层置物，阳台收纳 | tiers of shelf space for a balcony
阳台种植箱 | Balcony Planter Box | yuanyiren | 49 | - | 加深设计，种菜种花 | deep enough for vegetables or flowers
自动浇水定时器 | Automatic Watering Timer | yuanyiren | 89 | single | 定时浇灌，手机提醒 | waters on schedule
麻绳吊篮 | Macrame Plant Hanger | yuanyiren | 26 | - | 手工编织，垂吊植物 | hand-knotted for trailing plants
植物生长灯 | Plant Grow Light | yuanyiren | 99 | single | 全光谱补光，阴天也长 | full-spectrum light for grey days
装饰石子 | Decorative Pebbles | lvmuzhi | 18 | - | 铺面防虫，美观整洁 | a tidy top layer that keeps pests away
迷你温室 | Mini Greenhouse | yuanyiren | 159 | single | 育苗保温，防风防雨 | keeps seedlings warm and sheltered
""",
    },
]

#: Texts of the demo customers' reviews (what real buyers tend to write), with their stars.
REVIEW_TEXTS = [
    (5, "包装很用心，味道和描述一致，已经回购第二次了。"),
    (5, "物流很快，隔天就到了。品质不错，家里人都说好。"),
    (4, "整体满意，性价比高，就是包装盒有一点压痕。"),
    (5, "送朋友的，礼盒很精致，朋友很喜欢！"),
    (4, "比超市买的新鲜，会继续关注店铺上新。"),
    (3, "还可以吧，中规中矩，和价格相符。"),
    (5, "头一回在小甜园买，客服耐心，东西也好，好评。"),
    (4, "口感不错，分量足，就是发货稍微慢了一天。"),
    (5, ""),
    (5, "颜值很高，拍照好看，实际用起来也顺手。"),
]
#: Reviews screening holds: one with a link, one low rating that says nothing.
HELD_REVIEW_TEXTS = [
    (4, "还不错，更多优惠请看 www.cheap-tea.example.com"),
    (1, "不好"),
]
