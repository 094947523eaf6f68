//! The built-in email templates: one per kind and language. Placeholders:
//! `{{ name }}`, `{{ account }}`, `{{ link }}`, `{{ expiry }}`.

use roster_entities::invitation::Kind;

/// (subject, HTML body) of the built-in template.
pub fn template(kind: Kind, language: &str) -> (&'static str, &'static str) {
    match (kind, language) {
        (Kind::Welcome, "de") => ("Willkommen bei {{ account }}", "<p>Hallo {{ name }},</p><p>Sie wurden zu {{ account }} eingeladen. Legen Sie hier Ihr Passwort fest: <a href=\"{{ link }}\">{{ link }}</a></p><p>Der Link gilt bis {{ expiry }}.</p>"),
        (Kind::Welcome, "es") => ("Bienvenido a {{ account }}", "<p>Hola {{ name }}:</p><p>Ha sido invitado a {{ account }}. Establezca su contraseña aquí: <a href=\"{{ link }}\">{{ link }}</a></p><p>El enlace caduca el {{ expiry }}.</p>"),
        (Kind::Welcome, "pt") => ("Bem-vindo a {{ account }}", "<p>Olá {{ name }},</p><p>Você foi convidado para {{ account }}. Defina sua senha aqui: <a href=\"{{ link }}\">{{ link }}</a></p><p>O link expira em {{ expiry }}.</p>"),
        (Kind::Welcome, "fr") => ("Bienvenue chez {{ account }}", "<p>Bonjour {{ name }},</p><p>Vous avez été invité à rejoindre {{ account }}. Choisissez votre mot de passe ici : <a href=\"{{ link }}\">{{ link }}</a></p><p>Le lien expire le {{ expiry }}.</p>"),
        (Kind::Welcome, "it") => ("Benvenuto in {{ account }}", "<p>Ciao {{ name }},</p><p>Sei stato invitato in {{ account }}. Imposta la tua password qui: <a href=\"{{ link }}\">{{ link }}</a></p><p>Il link scade il {{ expiry }}.</p>"),
        (Kind::Welcome, _) => ("Welcome to {{ account }}", "<p>Hello {{ name }},</p><p>You have been invited to {{ account }}. Set your password here: <a href=\"{{ link }}\">{{ link }}</a></p><p>The link expires on {{ expiry }}.</p>"),
        (Kind::PortalActivation, "de") => ("Ihr Zugang zum Kundenportal von {{ account }}", "<p>Hallo {{ name }},</p><p>Aktivieren Sie Ihren Zugang zum Kundenportal von {{ account }}: <a href=\"{{ link }}\">{{ link }}</a></p><p>Der Link gilt bis {{ expiry }}.</p>"),
        (Kind::PortalActivation, "es") => ("Su acceso al portal de clientes de {{ account }}", "<p>Hola {{ name }}:</p><p>Active su acceso al portal de clientes de {{ account }}: <a href=\"{{ link }}\">{{ link }}</a></p><p>El enlace caduca el {{ expiry }}.</p>"),
        (Kind::PortalActivation, "pt") => ("Seu acesso ao portal de clientes de {{ account }}", "<p>Olá {{ name }},</p><p>Ative seu acesso ao portal de clientes de {{ account }}: <a href=\"{{ link }}\">{{ link }}</a></p><p>O link expira em {{ expiry }}.</p>"),
        (Kind::PortalActivation, "fr") => ("Votre accès au portail client de {{ account }}", "<p>Bonjour {{ name }},</p><p>Activez votre accès au portail client de {{ account }} : <a href=\"{{ link }}\">{{ link }}</a></p><p>Le lien expire le {{ expiry }}.</p>"),
        (Kind::PortalActivation, "it") => ("Il tuo accesso al portale clienti di {{ account }}", "<p>Ciao {{ name }},</p><p>Attiva il tuo accesso al portale clienti di {{ account }}: <a href=\"{{ link }}\">{{ link }}</a></p><p>Il link scade il {{ expiry }}.</p>"),
        (Kind::PortalActivation, _) => ("Your access to the {{ account }} customer portal", "<p>Hello {{ name }},</p><p>Activate your access to the {{ account }} customer portal: <a href=\"{{ link }}\">{{ link }}</a></p><p>The link expires on {{ expiry }}.</p>"),
        (Kind::Transfer, "de") => ("{{ account }} lädt Sie ein, Ihr Profil zu übertragen", "<p>Hallo {{ name }},</p><p>{{ account }} möchte Ihr bestehendes Profil in sein Konto übernehmen. Annehmen oder ablehnen: <a href=\"{{ link }}\">{{ link }}</a></p><p>Der Link gilt bis {{ expiry }}.</p>"),
        (Kind::Transfer, "es") => ("{{ account }} le invita a transferir su perfil", "<p>Hola {{ name }}:</p><p>{{ account }} quiere trasladar su perfil actual a su cuenta. Acepte o rechace aquí: <a href=\"{{ link }}\">{{ link }}</a></p><p>El enlace caduca el {{ expiry }}.</p>"),
        (Kind::Transfer, "pt") => ("{{ account }} convida você a transferir seu perfil", "<p>Olá {{ name }},</p><p>{{ account }} quer transferir seu perfil atual para a conta deles. Aceite ou recuse aqui: <a href=\"{{ link }}\">{{ link }}</a></p><p>O link expira em {{ expiry }}.</p>"),
        (Kind::Transfer, "fr") => ("{{ account }} vous invite à transférer votre profil", "<p>Bonjour {{ name }},</p><p>{{ account }} souhaite transférer votre profil existant dans son compte. Acceptez ou refusez ici : <a href=\"{{ link }}\">{{ link }}</a></p><p>Le lien expire le {{ expiry }}.</p>"),
        (Kind::Transfer, "it") => ("{{ account }} ti invita a trasferire il tuo profilo", "<p>Ciao {{ name }},</p><p>{{ account }} vuole trasferire il tuo profilo esistente nel proprio account. Accetta o rifiuta qui: <a href=\"{{ link }}\">{{ link }}</a></p><p>Il link scade il {{ expiry }}.</p>"),
        (Kind::Transfer, _) => ("{{ account }} invites you to transfer your profile", "<p>Hello {{ name }},</p><p>{{ account }} would like to move your existing profile into their account. Accept or decline here: <a href=\"{{ link }}\">{{ link }}</a></p><p>The link expires on {{ expiry }}.</p>"),
    }
}
